"""Helpers for the cars view tests: htmx request headers and the sandbox's demo data."""

import pytest

from flinkey_sandbox import DEMO


def hx(target: str, **extra) -> dict:
    """Headers of an htmx request aimed at the element with id `target`."""
    return {"HX-Request": "true", "HX-Target": target, **extra}


def upstream_calls(sandbox, method=None, path_prefix="/cars") -> int:
    """Requests the sandbox saw for cars (the token request never counts)."""
    return sandbox.request_count(method=method, path_prefix=path_prefix)


@pytest.fixture
def demo_car(manager, flinkey_api):
    """The well-known demo car (Box + IQ) as the sandbox serves it."""
    from fleetadmin.flinkey import client_for

    car = client_for(manager).get_car(DEMO.car_id)
    flinkey_api.clear_requests()
    return car
