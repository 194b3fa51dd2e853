"""Helpers for the events tests: htmx headers and events put straight into the sandbox."""

from datetime import UTC, datetime

import pytest

from flinkey_sandbox import DEMO

# The demo's IQ-only car has no events of its own: tests give it exactly the ones they need.
CAR = DEMO.iq_only_car_id


def hx(target: str, **extra) -> dict:
    """Headers of an htmx request aimed at the element with id `target`."""
    return {"HX-Request": "true", "HX-Target": target, **extra}


def utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def add_event(sandbox, *, at: datetime, car_id: int = CAR, kind: str = "CarOpened",
              user_id: int = DEMO.user_id, agent="flinkey/3.14.2 (de.witte.flinkey; build:1402; "
              "iOS 17.5.1) Alamofire/5.9.1", latitude=48.137, longitude=11.575,
              event_id: int | None = None) -> int:
    """Store one event in the sandbox as if flinkey had recorded it; return its id."""
    store = sandbox.store
    with store.lock:
        if event_id is None:
            event_id = store.next_event_id
            store.next_event_id += 1
        store.events[event_id] = {
            "id": event_id, "dateTime": at.replace(tzinfo=None).isoformat(),
            "utcDateTime": utc_text(at), "userId": user_id, "carId": car_id, "type": kind,
            "userAgent": agent, "latitude": latitude, "longitude": longitude,
        }
        store.car_events.setdefault(car_id, []).append(event_id)
    return event_id


def events_calls(sandbox, car_id: int = CAR):
    """The requests the sandbox saw for the car's events."""
    return [r for r in sandbox.requests if r.path == f"/cars/{car_id}/events"]


@pytest.fixture
def clean_car(flinkey_api):
    """The IQ-only car with no events (the sandbox is reset for every test)."""
    assert not flinkey_api.store.car_events.get(CAR)
    return CAR
