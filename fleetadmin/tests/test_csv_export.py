"""The CSV guard: what a spreadsheet would run as a formula gets a leading apostrophe."""

import pytest

from fleetadmin.web.csv_export import cell

FORMULA = '=HYPERLINK("http://evil.example","click")'


@pytest.mark.parametrize("text", [
    FORMULA, "+1+1", "-1+1", "@SUM(A1:A9)", "\tx", "\rx",
    # Leading blanks: spreadsheets skip them and still see the formula.
    " " + FORMULA, "   @SUM(A1)", "\u00a0=1+1", "\u3000=1+1", "\n=1+1",
    # Invisible characters in front: zero-width, joiners, BOM, word joiner, bidi controls.
    "\u200b" + FORMULA, "\u200c=1", "\u200d=1", "\u2060=1", "\ufeff" + FORMULA,
    "\u200e=1", "\u200f=1", "\u202a=1", "\u202b=1", "\u202c=1", "\u202d=1", "\u202e=1",
    "\u2066=1", "\u2067=1", "\u2068=1", "\u2069=1", "\u061c=1", "\u00ad=1",
    # Full-width (and small) forms of the formula characters, alone or after the above.
    "\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)", "\ufe661", "\ufe62 1", "\u22121",
    " \u200b\uff1dHYPERLINK(1)", "\ufeff \uff20x",
])
def test_formula_starts_are_made_inert(text):
    assert cell(text) == "'" + text


@pytest.mark.parametrize("text", [
    "", "plain", " plain with a blank", "\u200bword", "1-2", "a=b", "Müller-Lüdenscheid",
    "x\uff1d1",
])
def test_other_text_is_kept(text):
    assert cell(text) == text


def test_numbers_stay_numbers():
    assert cell(-12.5) == "-12.5"
    assert cell(7) == "7"
    assert cell(None) == ""


# --- CSV in the style of the user's language ---------------------------------------------

def test_german_csv_has_a_bom_semicolons_and_decimal_commas():
    from datetime import UTC, date, datetime
    from zoneinfo import ZoneInfo

    from fleetadmin.web.csv_export import ExcelCsv, csv_style

    writer = ExcelCsv(csv_style("de"), zone=ZoneInfo("Europe/Berlin"))
    assert writer.start() == "\ufeff"
    line = writer.row(["geöffnet", 12.5, -3, None, "=1+1", "a;b",
                       datetime(2026, 12, 3, 13, 32, tzinfo=UTC), date(2026, 12, 3)])
    assert line == ("geöffnet;12,5;-3;;'=1+1;\"a;b\";2026-12-03 14:32:00;2026-12-03\r\n")


def test_english_csv_has_commas_and_no_bom():
    from fleetadmin.web.csv_export import ExcelCsv, csv_style

    writer = ExcelCsv(csv_style("en"))
    assert writer.start() == ""
    assert writer.row(["opened", 12.5, "-1+1", "a,b"]) == "opened,12.5,'-1+1,\"a,b\"\r\n"
    assert csv_style("fr") == csv_style("en")  # any other language: comma CSV


def test_a_file_stamp_is_the_users_clock_not_utcs(monkeypatch):
    """QA: at 01:00 UTC on 8 December a user in New York got fleetadmin-audit-20261208-010000."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from django.utils import timezone

    from fleetadmin.web.csv_export import file_stamp

    monkeypatch.setattr(timezone, "now", lambda: datetime(2026, 12, 8, 1, 0, tzinfo=UTC))
    with timezone.override(ZoneInfo("America/New_York")):
        assert file_stamp() == "20261207-200000"
    assert file_stamp(ZoneInfo("Asia/Tokyo")) == "20261208-100000"
