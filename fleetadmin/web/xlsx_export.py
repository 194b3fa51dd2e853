"""XLSX exports: one sheet of a header and rows, written row by row with flat memory.

openpyxl's write-only workbook keeps the rows it was given in a temporary file, not in
memory; the finished workbook is saved into another temporary file that the response then
streams. Text is always written as text (openpyxl would store "=…" as a formula), minus the
control characters the format cannot hold; aware datetimes are written in the user's zone
(XLSX has none) with a date format.
"""

import tempfile
from datetime import date, datetime, tzinfo

from django.http import FileResponse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
DATE_FORMAT = "yyyy-mm-dd"
# Characters a sheet's name may not hold, and its longest length.
_TITLE_FORBIDDEN = str.maketrans({character: " " for character in "[]:*?/\\"})
_TITLE_MAX = 31


def sheet_title(text: str) -> str:
    """`text` as a valid sheet name."""
    return str(text).translate(_TITLE_FORBIDDEN).strip()[:_TITLE_MAX] or "Sheet"


class _Sheet:
    def __init__(self, sheet, zone: tzinfo):
        self.sheet = sheet
        self.zone = zone
        self.bold = Font(bold=True)

    def header(self, labels) -> None:
        cells = []
        for label in labels:
            cell = self.text(label)
            cell.font = self.bold
            cells.append(cell)
        self.sheet.append(cells)

    def row(self, values) -> None:
        self.sheet.append([self.cell(value) for value in values])

    def text(self, value) -> WriteOnlyCell:
        cell = WriteOnlyCell(self.sheet, value=ILLEGAL_CHARACTERS_RE.sub("", str(value)))
        cell.data_type = "s"  # never a formula, whatever it starts with
        return cell

    def cell(self, value):
        if value is None or isinstance(value, bool):
            return None if value is None else self.text(value)
        if isinstance(value, int | float):
            return value
        if isinstance(value, datetime):
            moment = value.astimezone(self.zone) if value.tzinfo is not None else value
            cell = WriteOnlyCell(self.sheet, value=moment.replace(tzinfo=None))
            cell.number_format = DATETIME_FORMAT
            return cell
        if isinstance(value, date):
            cell = WriteOnlyCell(self.sheet, value=value)
            cell.number_format = DATE_FORMAT
            return cell
        return self.text(value)


def xlsx_file(header, rows, *, title: str, zone: tzinfo | None = None):
    """A temporary file (at its start) holding the workbook: `header` in bold, then `rows`."""
    workbook = Workbook(write_only=True)
    sheet = _Sheet(workbook.create_sheet(title=sheet_title(title)),
                   zone or timezone.get_current_timezone())
    sheet.header(header)
    for row in rows:
        sheet.row(row)
    target = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response once sent
    workbook.save(target)
    target.seek(0)
    return target


def xlsx_response(header, rows, *, title: str, filename: str,
                  zone: tzinfo | None = None) -> FileResponse:
    """The workbook as a download, streamed from its temporary file."""
    return FileResponse(xlsx_file(header, rows, title=title, zone=zone), as_attachment=True,
                        filename=filename, content_type=XLSX_TYPE)
