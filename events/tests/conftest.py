"""Helpers for the events tests: events put straight into the sandbox."""

from datetime import UTC, datetime

import pytest
import requests

from flinkey import FlinkeyClient, Query
from flinkey_sandbox import DEMO

# The demo's IQ-only car has no events of its own: tests give it exactly the ones they need.
CAR = DEMO.iq_only_car_id


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_event(sandbox, *, at: datetime, car_id: int = CAR, kind: str = "CarOpened",
              user_id: int | None = None, agent="flinkey/3.14.2 (de.witte.flinkey; "
              "build:1402; iOS 17.5.1) Alamofire/5.9.1", latitude=48.137, longitude=11.575,
              customer_id: int = DEMO.customer_id) -> int:
    """Record one event through the sandbox's PUT /events, as the flinkey app would.

    Sent as raw JSON (not through our client), so integer coordinates stay integers.
    """
    if user_id is None:
        user_id = DEMO.user_id if customer_id == DEMO.customer_id else DEMO.other_user_id
    response = requests.put(f"{sandbox.url}/events", timeout=10, json={
        "dateTime": at.replace(tzinfo=None).isoformat(), "utcDateTime": utc_text(at),
        "userId": user_id, "carId": car_id, "type": kind, "userAgent": agent,
        "latitude": latitude, "longitude": longitude,
    }, headers={
        "flinkey-API-Key": DEMO.api_key, "Customer-ID": str(customer_id),
        "Authorization": f"Bearer {_token(sandbox)}",
    })
    assert response.status_code == 201, response.text
    return response.json()["id"]


def _token(sandbox) -> str:
    client = FlinkeyClient(sandbox.url, api_key=DEMO.api_key, username=DEMO.username,
                           password=DEMO.password)
    return client.authenticate().access_token


def recorded(sandbox, car_id: int = CAR) -> list:
    """Return the car's events as the API lists them, in id order (one call)."""
    client = FlinkeyClient(sandbox.url, api_key=DEMO.api_key, username=DEMO.username,
                           password=DEMO.password, customer_id=DEMO.customer_id)
    return list(client.page_events(car_id, Query(orderby=("id",)), page_size=1000).items)


def events_calls(sandbox, car_id: int = CAR):
    """The requests the sandbox saw for the car's events."""
    return [r for r in sandbox.requests if r.path == f"/cars/{car_id}/events"]


@pytest.fixture
def clean_car(flinkey_api):
    """The IQ-only car with no events (the sandbox is reset for every test)."""
    assert not recorded(flinkey_api)
    return CAR
