"""The reports' CSV writes every value exactly as the screen kit's ExcelCsv.value does."""

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fleetadmin.web.csv_export import ENGLISH_CSV, GERMAN_CSV, ExcelCsv
from reports.exports import _quick_values

VALUES = [None, 0, -12, 2**40, 1.5, -11.123456, 1e-7, float("nan"), True, False,
          Decimal("2.50"), "plain", "=SUM(A1)", "-3", " @x", "", "Grüße, \"quoted\"",
          datetime(2026, 11, 3, 7, 55, 12, 999_999, tzinfo=UTC),
          datetime(2026, 3, 29, 1, 30, tzinfo=UTC),  # Berlin's clocks go forward at 2:00
          datetime(2026, 11, 3, 7, 55),  # naive: written as it is
          datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC), date(2026, 11, 30), date(5, 1, 1)]


@pytest.mark.parametrize("style", [ENGLISH_CSV, GERMAN_CSV])
@pytest.mark.parametrize("zone", [UTC, ZoneInfo("Europe/Berlin"), ZoneInfo("Asia/Kolkata")])
def test_quick_values_are_what_the_kits_writer_writes(style, zone):
    writer = ExcelCsv(style=style, zone=zone)
    assert _quick_values(writer)(VALUES) == [writer.value(value) for value in VALUES]
