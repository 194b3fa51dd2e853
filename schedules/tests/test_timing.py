"""Due moments and periods in a zone with DST (Europe/Berlin: +1 in winter, +2 in summer;
2027-03-28 the clocks jump 02:00 → 03:00, 2026-10-25 they go back 03:00 → 02:00)."""

from datetime import UTC, date, datetime, time
from types import SimpleNamespace

from schedules import timing


def schedule(**fields):
    values = dict(cadence="daily", weekday=None, day_of_month=None, at_time=time(8, 0),
                  time_zone="Europe/Berlin", period="yesterday")
    values.update(fields)
    return SimpleNamespace(**values)


def utc(text):
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_eight_o_clock_stays_eight_o_clock_across_the_spring_change():
    daily = schedule()
    assert timing.last_due(daily, utc("2027-03-27T12:00")) == utc("2027-03-27T07:00")
    assert timing.last_due(daily, utc("2027-03-28T12:00")) == utc("2027-03-28T06:00")
    assert timing.next_due(daily, utc("2027-03-27T07:00")) == utc("2027-03-28T06:00")
    # 05:59Z on the day of the change is 07:59 CEST: still the day before's run.
    assert timing.last_due(daily, utc("2027-03-28T05:59")) == utc("2027-03-27T07:00")


def test_a_time_the_clocks_skip_runs_once_when_they_jump():
    skipped = schedule(at_time=time(2, 30))
    moment = timing.last_due(skipped, utc("2027-03-28T03:00"))
    assert moment == utc("2027-03-28T01:30")  # 03:30 CEST, the skipped 02:30 + the hour
    assert timing.next_due(skipped, utc("2027-03-27T12:00")) == moment


def test_a_time_the_clocks_repeat_runs_once_at_its_first_occurrence():
    repeated = schedule(at_time=time(2, 30))
    first = utc("2026-10-25T00:30")  # 02:30 CEST; 02:30 CET (01:30Z) comes an hour later
    assert timing.last_due(repeated, utc("2026-10-25T00:45")) == first
    assert timing.last_due(repeated, utc("2026-10-25T01:45")) == first
    assert timing.next_due(repeated, first) == utc("2026-10-26T01:30")


def test_weekly_and_monthly():
    mondays = schedule(cadence="weekly", weekday=0)
    assert timing.last_due(mondays, utc("2026-12-09T12:00")) == utc("2026-12-07T07:00")
    last_day = schedule(cadence="monthly", day_of_month=31)
    # February has 28 days in 2027: the report comes on its last day.
    assert timing.next_due(last_day, utc("2027-02-01T00:00")) == utc("2027-02-28T07:00")
    assert timing.next_due(last_day, utc("2027-02-28T07:00")) == utc("2027-03-31T06:00")


def test_periods_are_whole_local_days_before_the_run():
    assert timing.period_days("yesterday", date(2027, 3, 1)) == (date(2027, 2, 28),
                                                                date(2027, 2, 28))
    assert timing.period_days("last-7-days", date(2026, 12, 8)) == (date(2026, 12, 1),
                                                                   date(2026, 12, 7))
    assert timing.period_days("last-week", date(2026, 12, 9)) == (date(2026, 11, 30),
                                                                 date(2026, 12, 6))
    assert timing.period_days("last-month", date(2027, 3, 1)) == (date(2027, 2, 1),
                                                                  date(2027, 2, 28))
    # The day of the spring change has 23 hours: the period ends at the next local midnight.
    first, last, start, end = timing.period_of(schedule(), utc("2027-03-29T06:00"))
    assert (first, last) == (date(2027, 3, 28), date(2027, 3, 28))
    assert (start, end) == (utc("2027-03-27T23:00"), utc("2027-03-28T22:00"))
