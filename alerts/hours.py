"""Working hours per weekday, in a rule's zone: is a moment inside them?"""

import zoneinfo
from datetime import datetime, time

WEEKDAYS = range(7)  # Monday = 0, as datetime.weekday()


def parse_clock(text: str) -> time:
    """"07:30" → time(7, 30); raises ValueError."""
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def within(working_hours: dict, moment: datetime, zone_name: str) -> bool:
    """True when `moment` (aware) falls in its weekday's working hours in `zone_name`.

    A weekday without hours has none (the whole day is outside them). An end before the
    start runs over midnight (a night shift: "22:00"–"06:00" covers both sides of it, on
    the day it starts).
    """
    local = moment.astimezone(zoneinfo.ZoneInfo(zone_name))
    clock = local.time().replace(tzinfo=None)
    today = working_hours.get(str(local.weekday()))
    if today and _inside(clock, *today):
        return True
    yesterday = working_hours.get(str((local.weekday() - 1) % 7))
    if yesterday:
        start, end = parse_clock(yesterday[0]), parse_clock(yesterday[1])
        if end < start and clock < end:
            return True
    return False


def _inside(clock: time, start_text: str, end_text: str) -> bool:
    start, end = parse_clock(start_text), parse_clock(end_text)
    if start <= end:
        return start <= clock < end
    return clock >= start  # over midnight: the part after midnight counts for the next day
