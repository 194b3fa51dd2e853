"""A car's local time: the clock reading flinkey's events carry as `dateTime`.

The vendor's events have two times: `utcDateTime`, the moment, and `dateTime`, a clock
reading without an offset that the flinkey apps fill with the car's local time. flinkey
knows no zone for a car, so fleetadmin takes the fleet's (`FLEETADMIN_FLEET_TIME_ZONE`): an
event recorded here gets its local time there, whatever zone the person recording it is in.
The event page shows the offset an event's two times imply, so a reader sees which local
time an event carries (also one sent by an app elsewhere) instead of being told blindly that
it is the car's.
"""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.conf import settings


def fleet_zone() -> ZoneInfo:
    """Return the zone of the fleet's cars (`FLEETADMIN_FLEET_TIME_ZONE`)."""
    return ZoneInfo(settings.FLEETADMIN_FLEET_TIME_ZONE)


def car_local_time(moment: datetime) -> datetime:
    """Return the naive clock reading of aware `moment` in the fleet's zone (for dateTime)."""
    if moment.utcoffset() is None:
        raise ValueError("moment must be timezone-aware")
    return moment.astimezone(fleet_zone()).replace(tzinfo=None)


def implied_offset(local: datetime | None, utc: datetime | None) -> str | None:
    """Return "UTC+01:00" for an event whose local time is an hour ahead of its UTC time.

    None when either is missing, or when the difference is no zone's (more than 14 hours,
    or not a whole quarter of an hour): then the local time was not taken in any zone.
    """
    if local is None or utc is None:
        return None
    difference = local - utc.astimezone(UTC).replace(tzinfo=None)
    minutes, rest = divmod(difference.total_seconds(), 60)
    if rest or minutes % 15 or abs(minutes) > 14 * 60:
        return None
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(int(minutes))
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
