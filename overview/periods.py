"""Days and weeks in the user's time zone, as UTC moments the store can be asked about.

A day is from its local midnight to the next one (23 or 25 hours on the days the clocks
change); a week starts on Monday, as ISO 8601 and German calendars have it.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

CHART_DAYS = 30


def start_of(day: date, zone: tzinfo) -> datetime:
    """Return the UTC moment `day` begins in `zone`."""
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


@dataclass(frozen=True)
class Calendar:
    """The days of the charts (the last CHART_DAYS, today included) and the two weeks."""

    now: datetime
    zone: tzinfo

    @property
    def today(self) -> date:
        return self.now.astimezone(self.zone).date()

    @property
    def days(self) -> list[date]:
        """The chart's days, oldest first, today last."""
        return [self.today - timedelta(days=back) for back in range(CHART_DAYS - 1, -1, -1)]

    @property
    def this_monday(self) -> date:
        return self.today - timedelta(days=self.today.weekday())

    @property
    def last_monday(self) -> date:
        return self.this_monday - timedelta(days=7)

    def start(self, day: date) -> datetime:
        return start_of(day, self.zone)
