"""The XLSX kit: text stays text (never a formula), numbers numbers, times in the user's zone."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from fleetadmin.web.xlsx_export import sheet_title, xlsx_file


def test_a_workbook_holds_the_header_and_typed_rows():
    rows = [["=HYPERLINK(\"http://evil.example\")", 12.5, 3,
             datetime(2026, 12, 3, 13, 32, tzinfo=UTC), date(2026, 12, 3), None, "a\x07b"]]
    with xlsx_file(["text", "km", "n", "when", "day", "none", "bell"], rows,
                   title="Mileage: per car", zone=ZoneInfo("Europe/Berlin")) as target:
        book = load_workbook(target)
    sheet = book.active
    assert sheet.title == "Mileage  per car"
    assert [c.value for c in sheet[1]] == ["text", "km", "n", "when", "day", "none", "bell"]
    assert sheet["A1"].font.bold
    text, km, n, when, day, none, bell = sheet[2]
    assert text.value == "=HYPERLINK(\"http://evil.example\")" and text.data_type == "s"
    assert (km.value, n.value) == (12.5, 3)
    assert when.value == datetime(2026, 12, 3, 14, 32) and when.is_date
    assert day.value == datetime(2026, 12, 3) and day.is_date
    assert none.value is None and bell.value == "ab"


def test_sheet_titles_lose_what_excel_refuses():
    assert sheet_title("a/b?c" + "x" * 40) == ("a b c" + "x" * 40)[:31]
    assert sheet_title("") == "Sheet"
