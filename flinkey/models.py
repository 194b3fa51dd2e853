"""Typed results (frozen, snake_case) and the tolerant parsing of the API's camelCase JSON."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from .errors import ProtocolError
from .odata import Instant

__all__ = ["Car", "Customer", "Event", "Location", "Page", "Product"]

_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Customer:
    """A customer the API manager may act for; `id` goes into the Customer-ID header."""

    id: int
    name: str

    @classmethod
    def from_api(cls, data: object) -> Customer:
        """Return the Customer in one item of GET /customers; raises ProtocolError."""
        d = _object(data, "customer")
        return cls(id=_int(d, "id"), name=_str(d, "name", required=True))


@dataclass(frozen=True)
class Car:
    """A car of the customer."""

    id: int
    name: str
    description: str | None = None
    vin: str | None = None
    license_plate: str | None = None
    brand: str | None = None
    model: str | None = None

    @classmethod
    def from_api(cls, data: object) -> Car:
        """Return the Car in a /cars answer; raises ProtocolError."""
        d = _object(data, "car")
        return cls(
            id=_int(d, "id"),
            name=_str(d, "name", required=True),
            description=_str(d, "description"),
            vin=_str(d, "vin"),
            license_plate=_str(d, "licensePlate"),
            brand=_str(d, "brand"),
            model=_str(d, "model"),
        )


@dataclass(frozen=True)
class Product:
    """A flinkey device in a car; `service_ends_at` is the API's dongleTerminationTimeStamp."""

    BOX: ClassVar[str] = "flinkey Box"
    IQ: ClassVar[str] = "flinkey IQ"

    id: int
    unique_id: str | None
    serial_number: str | None
    sap_number: str | None
    service_ends_at: datetime | None
    type: str

    @classmethod
    def from_api(cls, data: object) -> Product:
        """Return the Product in one item of /cars/{id}/products; raises ProtocolError."""
        d = _object(data, "product")
        return cls(
            id=_int(d, "id"),
            unique_id=_str(d, "uniqueId"),
            serial_number=_str(d, "serialNumber"),
            sap_number=_str(d, "sapNumber"),
            service_ends_at=_utc(d, "dongleTerminationTimeStamp"),
            type=_str(d, "type", required=True),
        )


@dataclass(frozen=True)
class Location:
    """The flinkey IQ's position and odometer sample (any field may be missing)."""

    latitude: float | None
    longitude: float | None
    recorded_at: datetime | None
    odometer: float | None
    odometer_recorded_at: datetime | None

    @classmethod
    def from_api(cls, data: object) -> Location:
        """Return the Location in a /cars/{id}/location answer; raises ProtocolError."""
        d = _object(data, "location")
        return cls(
            latitude=_float(d, "latitude"),
            longitude=_float(d, "longitude"),
            recorded_at=_utc(d, "date"),
            odometer=_float(d, "odometer"),
            odometer_recorded_at=_utc(d, "odometerDate"),
        )


@dataclass(frozen=True)
class Event:
    """A car opened/closed event; `utc_date_time` is aware UTC, `local_date_time` naive."""

    OPENED: ClassVar[str] = "CarOpened"
    CLOSED: ClassVar[str] = "CarClosed"
    TYPES: ClassVar[tuple[str, str]] = ("CarOpened", "CarClosed")

    id: int
    car_id: int
    user_id: int | None
    type: str
    utc_date_time: datetime
    local_date_time: datetime | None
    user_agent: str | None
    latitude: float | None
    longitude: float | None
    # utcDateTime's seventh fraction digit (100 ns), which `utc_date_time` cannot hold: a
    # timeline's cursor needs the exact moment (odata.Instant).
    utc_ticks: int = 0

    @classmethod
    def from_api(cls, data: object) -> Event:
        """Return the Event in an /events or /cars/{id}/events answer; raises ProtocolError."""
        d = _object(data, "event")
        utc = _utc(d, "utcDateTime")
        if utc is None:
            raise ProtocolError("event has no utcDateTime", 200)
        return cls(
            id=_int(d, "id"),
            car_id=_int(d, "carId"),
            user_id=_int(d, "userId", required=False),
            type=_str(d, "type", required=True),
            utc_date_time=utc,
            local_date_time=_local(d, "dateTime"),
            user_agent=_str(d, "userAgent"),
            latitude=_float(d, "latitude"),
            longitude=_float(d, "longitude"),
            utc_ticks=_seventh_digit(d["utcDateTime"]),
        )

    @property
    def utc_instant(self) -> Instant:
        """`utc_date_time` to the 100 ns the API keeps (the fleet store's events cursor)."""
        return Instant(self.utc_date_time, self.utc_ticks)


@dataclass(frozen=True)
class Page[T]:
    """One page of a collection; `has_next` is whether the API had one more row."""

    items: tuple[T, ...]
    page: int
    page_size: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        """Return True unless this is the first page."""
        return self.page > 1

    def __iter__(self):
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


def parse_list[T](data: object, parse: Any, what: str) -> list[T]:
    """Return `parse` applied to every item of a JSON array; raises ProtocolError."""
    if not isinstance(data, list):
        raise ProtocolError(f"{what} answer is not a JSON array", 200)
    return [parse(item) for item in data]


def parse_created_id(data: object) -> int:
    """Return N from a 201 answer {"id": N}; raises ProtocolError."""
    return _int(_object(data, "creation answer"), "id")


def parse_datetime(value: str, *, naive_is_utc: bool) -> datetime:
    """Return the datetime in an ISO 8601 string; raises ValueError.

    Accepts `Z`, numeric offsets and fractions of any length (.NET sends seven digits).
    A naive string stays naive unless `naive_is_utc`, when it is taken as UTC; aware
    results are converted to UTC.
    """
    parsed = _fromiso(value)
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC) if naive_is_utc else parsed
    return parsed.astimezone(UTC)


# --- field readers: each raises ProtocolError naming the key when the shape is wrong ---


def _object(data: object, what: str) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ProtocolError(f"{what} is not a JSON object", 200)
    return data


def _int(d: dict[str, Any], key: str, *, required: bool = True) -> int | None:
    value = d.get(key)
    if value is None and not required:
        return None
    # Ids are documented as numbers; /customers types them as strings. Accept both.
    if isinstance(value, str) and _INTEGER.fullmatch(value.strip()):
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise ProtocolError(f"{key!r} is not an integer: {type(value).__name__}", 200)


def _str(d: dict[str, Any], key: str, *, required: bool = False) -> str | None:
    value = d.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} is not a string: {type(value).__name__}", 200)
    return value


def _float(d: dict[str, Any], key: str) -> float | None:
    # Location sends coordinates and odometer as strings holding decimals, events as
    # numbers; any of them may be null. "NaN" (a .NET double) carries no position.
    value = d.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ProtocolError(f"{key!r} is not a number: {type(value).__name__}", 200)
    try:
        number = float(value)
    except ValueError:
        raise ProtocolError(f"{key!r} is not a number: {value!r}", 200) from None
    return number if math.isfinite(number) else None


def _utc(d: dict[str, Any], key: str) -> datetime | None:
    # Undocumented zone on naive strings: the API's searchDate is UTC, so these are read as UTC.
    parsed = _datetime(d, key, naive_is_utc=True)
    # .NET serialises an unset DateTime as 0001-01-01T00:00:00; it means "none", and
    # converting it to a zone west of UTC would overflow.
    if parsed is not None and parsed.year <= 1:
        return None
    return parsed


def _local(d: dict[str, Any], key: str) -> datetime | None:
    # dateTime is the car's wall-clock time: keep the clock reading, drop any offset.
    value = d.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} is not a date-time: {type(value).__name__}", 200)
    try:
        parsed = _fromiso(value)
    except ValueError:
        raise ProtocolError(f"{key!r} is not a date-time: {value!r}", 200) from None
    return None if parsed.year <= 1 else parsed.replace(tzinfo=None)


_FRACTION = re.compile(r"T\d{2}:\d{2}:\d{2}[.,](\d+)")


def _seventh_digit(value: str) -> int:
    # An offset is whole minutes, so converting to UTC leaves the fraction's digits as they are.
    match = _FRACTION.search(value)
    return int(match[1][6]) if match and len(match[1]) > 6 else 0


def _fromiso(value: str) -> datetime:
    text = value.strip()
    if text.endswith("z"):
        text = text[:-1] + "Z"
    return datetime.fromisoformat(text)


def _datetime(d: dict[str, Any], key: str, *, naive_is_utc: bool) -> datetime | None:
    value = d.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"{key!r} is not a date-time: {type(value).__name__}", 200)
    try:
        return parse_datetime(value, naive_is_utc=naive_is_utc)
    except (ValueError, OverflowError):
        raise ProtocolError(f"{key!r} is not a date-time: {value!r}", 200) from None
