"""Tolerant parsing of the API's JSON into frozen snake_case dataclasses (no HTTP needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flinkey import Car, Customer, Event, Location, Page, Product, ProtocolError
from flinkey.errors import AuthenticationError, error_for_response, message_from_body
from flinkey.models import parse_datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-01T10:00:00Z", datetime(2026, 1, 1, 10, tzinfo=UTC)),
        ("2026-01-01T10:00:00z", datetime(2026, 1, 1, 10, tzinfo=UTC)),
        ("2026-01-01T10:00:00+02:00", datetime(2026, 1, 1, 8, tzinfo=UTC)),
        ("2026-01-01T10:00:00-0130", datetime(2026, 1, 1, 11, 30, tzinfo=UTC)),
        ("2026-01-01T10:00:00.1Z", datetime(2026, 1, 1, 10, 0, 0, 100000, tzinfo=UTC)),
        ("2026-01-01T10:00:00.123Z", datetime(2026, 1, 1, 10, 0, 0, 123000, tzinfo=UTC)),
        ("2026-01-01T10:00:00.1234567Z", datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        ("2026-01-01T10:00:00.123456789", datetime(2026, 1, 1, 10, 0, 0, 123456, tzinfo=UTC)),
        (" 2026-01-01T10:00:00 ", datetime(2026, 1, 1, 10, tzinfo=UTC)),
        ("2026-01-01T10:00", datetime(2026, 1, 1, 10, tzinfo=UTC)),
    ],
)
def test_dates_become_aware_utc(text, expected):
    parsed = parse_datetime(text, naive_is_utc=True)
    assert parsed == expected and parsed.utcoffset() == timedelta(0)


def test_customer_ids_may_be_strings():
    assert Customer.from_api({"id": "7", "name": "A"}) == Customer(7, "A")
    assert Customer.from_api({"id": 7.0, "name": "A"}) == Customer(7, "A")
    for bad in ("7a", "", True, None, 7.5, "٧"):
        with pytest.raises(ProtocolError):
            Customer.from_api({"id": bad, "name": "A"})


def test_car_optional_fields_may_be_missing_or_null():
    assert Car.from_api({"id": 1, "name": "Golf", "vin": None}) == Car(1, "Golf")
    assert (
        Car.from_api(
            {"id": 1, "name": "Golf", "licensePlate": "M-A 1", "extraField": {"ignored": True}}
        ).license_plate
        == "M-A 1"
    )


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("48.137154", 48.137154),
        (" 11.5 ", 11.5),
        ("-0", 0.0),
        (48, 48.0),
        (11.25, 11.25),
        (None, None),
        ("", None),
        ("NaN", None),
        ("Infinity", None),
    ],
)
def test_location_numbers_may_be_strings_numbers_or_null(raw, value):
    location = Location.from_api({"latitude": raw, "longitude": raw, "odometer": raw})
    assert location.latitude == location.longitude == location.odometer == value


def test_location_with_nothing_is_all_none():
    assert Location.from_api({}) == Location(None, None, None, None, None)


def test_dotnet_min_value_means_no_date():
    assert Location.from_api({"date": "0001-01-01T00:00:00"}).recorded_at is None
    product = Product.from_api(
        {"id": 1, "type": Product.IQ, "dongleTerminationTimeStamp": "0001-01-01T00:00:00Z"}
    )
    assert product.service_ends_at is None


def test_product():
    product = Product.from_api(
        {
            "id": 9,
            "uniqueId": "u",
            "serialNumber": "s",
            "sapNumber": "p",
            "dongleTerminationTimeStamp": "2027-06-30T00:00:00",
            "type": "flinkey Box",
        }
    )
    assert product == Product(9, "u", "s", "p", datetime(2027, 6, 30, tzinfo=UTC), Product.BOX)


def test_event_keeps_the_local_wall_clock_naive():
    event = Event.from_api(
        {
            "id": 1,
            "dateTime": "2026-07-01T12:00:00.5+02:00",
            "utcDateTime": "2026-07-01T10:00:00.5",
            "userId": "3",
            "carId": 2,
            "type": "CarOpened",
            "userAgent": "app",
            "latitude": 48,
            "longitude": None,
        }
    )
    assert event.local_date_time == datetime(2026, 7, 1, 12, 0, 0, 500000)
    assert event.utc_date_time == datetime(2026, 7, 1, 10, 0, 0, 500000, tzinfo=UTC)
    assert (event.user_id, event.latitude, event.longitude) == (3, 48.0, None)


@pytest.mark.parametrize(
    "changes",
    [
        {"utcDateTime": None},
        {"utcDateTime": "never"},
        {"carId": None},
        {"type": 1},
        {"dateTime": 5},
        {"latitude": "north"},
        {"id": False},
    ],
)
def test_unreadable_events_are_protocol_errors(changes):
    data = {"id": 1, "carId": 2, "type": "CarOpened", "utcDateTime": "2026-01-01T00:00:00Z"}
    with pytest.raises(ProtocolError) as caught:
        Event.from_api({**data, **changes})
    assert caught.value.message == "The flinkey API sent an answer fleetadmin cannot read."
    assert caught.value.detail


def test_page():
    page = Page(items=(1, 2), page=1, page_size=2, has_next=True)
    assert list(page) == [1, 2] and len(page) == 2 and not page.has_previous
    assert Page(items=(), page=2, page_size=2, has_next=False).has_previous


# --- error bodies ---------------------------------------------------------------------------

KEY_SENTENCE = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)


def test_the_documented_two_line_plain_text_401_is_one_sentence():
    body = (
        b"  Access denied due to invalid subscription key. \n"
        b"  Make sure to provide a valid key for an active subscription."
    )
    assert message_from_body(body, "text/plain") == KEY_SENTENCE
    error = error_for_response(401, body, "text/plain")
    assert isinstance(error, AuthenticationError) and error.kind == "api_key"


@pytest.mark.parametrize(
    ("body", "kind", "token_endpoint"),
    [
        (
            b'{"statusCode": 401, "message": "Unauthorized. Access token is missing or invalid."}',
            "token",
            False,
        ),
        (b'{"error": "invalid_client"}', "credentials", True),
        (b"", "token", False),
    ],
)
def test_401_kinds(body, kind, token_endpoint):
    error = error_for_response(401, body, "application/json", token_endpoint=token_endpoint)
    assert isinstance(error, AuthenticationError) and error.kind == kind


def test_invalid_grant_is_a_credentials_error_only_at_the_token_endpoint():
    body = (
        b'{"error": "invalid_grant", '
        b'"error_description": "The user name or password is incorrect."}'
    )
    error = error_for_response(400, body, "application/json", token_endpoint=True)
    assert isinstance(error, AuthenticationError)
    assert (error.kind, error.status) == ("credentials", 400)
    assert "username or password" in error.message
    assert type(error_for_response(400, body, "application/json")).__name__ == "BadRequestError"


@pytest.mark.parametrize(("text", "microsecond", "ticks"), [
    ("2026-03-10T12:00:01.2345678Z", 234567, 8),
    ("2026-03-10T13:00:01.2345671+01:00", 234567, 1),  # an offset leaves the digits as they are
    ("2026-03-10T12:00:01.234567Z", 234567, 0),
    ("2026-03-10T12:00:01Z", 0, 0),
    ("2026-03-10T12:00:01.2345678", 234567, 8),  # naive: UTC by name
])
def test_an_events_seventh_fraction_digit_is_kept(text, microsecond, ticks):
    event = Event.from_api({"id": 1, "carId": 2, "type": "CarOpened", "utcDateTime": text})
    assert (event.utc_date_time.microsecond, event.utc_ticks) == (microsecond, ticks)
    assert event.utc_date_time == datetime(2026, 3, 10, 12, 0, 1, microsecond, tzinfo=UTC)
