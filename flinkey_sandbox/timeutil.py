"""Date-time helpers: UTC formatting, lenient ISO parsing, Europe/Berlin wall-clock time."""

import functools
import re
from datetime import UTC, date, datetime, timedelta

# The searchDate path parameter must look exactly like this (vendor: yyyy-MM-ddTHH:mm:ssZ).
SEARCH_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


def utc_text(moment: datetime | float) -> str:
    """`2026-01-31T12:00:00Z` for an aware datetime or epoch seconds."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    moment = moment.astimezone(UTC)
    text = moment.replace(tzinfo=None).isoformat(timespec="seconds")
    if moment.microsecond:
        text = moment.replace(tzinfo=None).isoformat(timespec="microseconds")
    return text + "Z"


def local_text(moment: datetime) -> str:
    """Naive wall-clock text without offset, as the API's event dateTime."""
    moment = moment.replace(tzinfo=None)
    return moment.isoformat(timespec="microseconds" if moment.microsecond else "seconds")


def parse_datetime(text: object) -> datetime | None:
    """An ISO 8601 date-time (offset optional, `Z` allowed) or None when it is not one."""
    if not isinstance(text, str) or "T" not in text.upper() or len(text) < 16:
        return None
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        return None


def parse_search_date(text: str) -> datetime | None:
    """The searchDate path parameter as aware UTC datetime, None when malformed or unreal."""
    if not SEARCH_DATE.match(text):
        return None
    try:
        return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:  # e.g. 2026-02-30 or hour 25
        return None


def _last_sunday(year: int, month: int) -> date:
    """Last Sunday of a 31-day month (March, October)."""
    last = date(year, month, 31)
    return last - timedelta(days=(last.weekday() + 1) % 7)


@functools.cache
def _summer_time(year: int) -> tuple[datetime, datetime]:
    """When CEST starts and ends in `year` (aware UTC instants)."""
    start = datetime.combine(_last_sunday(year, 3), datetime.min.time(), UTC) + timedelta(hours=1)
    end = datetime.combine(_last_sunday(year, 10), datetime.min.time(), UTC) + timedelta(hours=1)
    return start, end


def berlin_local(moment: datetime) -> datetime:
    """Naive Europe/Berlin wall-clock time for an aware instant."""
    # The EU rule (CEST from the last Sunday of March to the last Sunday of October, both
    # at 01:00 UTC) is coded here so the sandbox needs no tz database on the machine.
    moment = moment.astimezone(UTC)
    start, end = _summer_time(moment.year)
    offset = timedelta(hours=2) if start <= moment < end else timedelta(hours=1)
    return (moment + offset).replace(tzinfo=None)
