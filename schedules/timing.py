"""When a schedule is due, and which days its report covers — in the schedule's zone.

A due moment is a local date and time made a UTC moment. Across a DST change the local time
stays (08:00 is 07:00 UTC in winter, 06:00 in summer in Berlin); a time the clocks skip
(02:30 on the spring change) runs at the moment they jump, a time they repeat (02:30 on the
autumn change) runs once, at its first occurrence.
"""

import calendar
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

from fleetadmin.web.dates import occurrences

# Far enough to reach the matching day of any cadence (a month's last day included).
_DAYS_SEARCHED = 63


def zone_of(schedule) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(schedule.time_zone)


def moment_at(day: date, at: time, zone) -> datetime:
    """The UTC moment `day` `at` in `zone` (skipped: when the clocks jump; repeated: first)."""
    wall = datetime.combine(day, at)
    found = occurrences(wall, zone)
    if found:
        return found[0].astimezone(UTC)
    # In the hour the clocks skip: fold=0 reads it with the offset before the change,
    # which is the moment the clocks jump plus the minutes into the hour.
    return wall.replace(tzinfo=zone, fold=0).astimezone(UTC)


def runs_on(schedule, day: date) -> bool:
    """True when the schedule runs on this local day."""
    if schedule.cadence == "weekly":
        return day.weekday() == schedule.weekday
    if schedule.cadence == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(schedule.day_of_month or 1, last)
    return True


def last_due(schedule, now: datetime) -> datetime | None:
    """The latest due moment at or before `now` (UTC), or None."""
    zone = zone_of(schedule)
    today = now.astimezone(zone).date()
    for back in range(_DAYS_SEARCHED):
        day = today - timedelta(days=back)
        if runs_on(schedule, day):
            moment = moment_at(day, schedule.at_time, zone)
            if moment <= now:
                return moment
    return None


def next_due(schedule, now: datetime) -> datetime | None:
    """The first due moment after `now` (UTC), for the pages."""
    zone = zone_of(schedule)
    today = now.astimezone(zone).date()
    for ahead in range(-1, _DAYS_SEARCHED):
        day = today + timedelta(days=ahead)
        if runs_on(schedule, day):
            moment = moment_at(day, schedule.at_time, zone)
            if moment > now:
                return moment
    return None


def period_days(period: str, run_day: date) -> tuple[date, date]:
    """(first day, last day) the report covers for a run on the local day `run_day`."""
    if period == "last-7-days":
        return run_day - timedelta(days=7), run_day - timedelta(days=1)
    if period == "last-week":
        monday = run_day - timedelta(days=run_day.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if period == "last-month":
        last = run_day.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    return run_day - timedelta(days=1), run_day - timedelta(days=1)  # yesterday


def period_of(schedule, due_at: datetime) -> tuple[date, date, datetime, datetime]:
    """(first day, last day, start, end) of the run due at `due_at`: start and end are the
    first day's and the day after the last day's midnights in the zone (end excluded)."""
    zone = zone_of(schedule)
    first, last = period_days(schedule.period, due_at.astimezone(zone).date())
    return (first, last, moment_at(first, time.min, zone),
            moment_at(last + timedelta(days=1), time.min, zone))
