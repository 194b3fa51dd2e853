"""A car's local time (dateTime): taken in the fleet's zone; the offset two times imply."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from events.car_time import car_local_time, implied_offset


def test_the_car_local_time_is_the_fleets_clock(settings):
    settings.FLEETADMIN_FLEET_TIME_ZONE = "Europe/Berlin"
    new_york = datetime(2026, 2, 10, 17, 58, tzinfo=ZoneInfo("America/New_York"))
    assert car_local_time(new_york) == datetime(2026, 2, 10, 23, 58)
    summer = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
    assert car_local_time(summer) == datetime(2026, 7, 1, 14, 0)  # CEST
    with pytest.raises(ValueError, match="aware"):
        car_local_time(datetime(2026, 7, 1, 12, 0))


@pytest.mark.parametrize(("local", "utc", "expected"), [
    (datetime(2026, 2, 10, 23, 58), datetime(2026, 2, 10, 22, 58, tzinfo=UTC), "UTC+01:00"),
    (datetime(2026, 2, 10, 17, 58), datetime(2026, 2, 10, 22, 58, tzinfo=UTC), "UTC-05:00"),
    (datetime(2026, 2, 11, 4, 28), datetime(2026, 2, 10, 22, 58, tzinfo=UTC), "UTC+05:30"),
    (datetime(2026, 2, 10, 22, 58), datetime(2026, 2, 10, 22, 58, tzinfo=UTC), "UTC+00:00"),
    (datetime(2026, 2, 10, 22, 59, 7), datetime(2026, 2, 10, 22, 58, tzinfo=UTC), None),
    (datetime(2026, 2, 12, 22, 58), datetime(2026, 2, 10, 22, 58, tzinfo=UTC), None),
    (None, datetime(2026, 2, 10, 22, 58, tzinfo=UTC), None),
])
def test_the_offset_an_events_two_times_imply(local, utc, expected):
    assert implied_offset(local, utc) == expected
