"""CSV exports: cells a spreadsheet would run as formulas made inert, rows written for streaming,
in the style the user's language's spreadsheet reads (`ExcelCsv`)."""

import csv
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, tzinfo
from decimal import Decimal

from django.http import StreamingHttpResponse
from django.utils import timezone, translation

# A spreadsheet treats cells starting with these as formulas (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# The same characters in other widths: spreadsheets in East Asian locales (and some
# imports) read the full-width and small forms as the ASCII ones; U+2212 is the minus sign.
_FORMULA_CHARACTERS = frozenset("=+-@") | frozenset(
    "\uff1d\uff0b\uff0d\uff20"  # ＝ ＋ － ＠
    "\ufe66\ufe62\ufe63\ufe6b"  # small = + - @
    "\u2212"
)


def _skipped(character: str) -> bool:
    """True for what a spreadsheet passes over before it decides a cell is a formula:
    blanks of any kind and invisible format characters (zero-width spaces and joiners,
    the BOM, word joiner, bidi marks and controls, soft hyphen; Unicode's category Cf)."""
    return character.isspace() or unicodedata.category(character) == "Cf"


def is_formula_like(text: str) -> bool:
    """True when `text` would start a formula, also behind blanks or invisible characters."""
    if text.startswith(FORMULA_START):
        return True
    for character in text:
        if not _skipped(character):
            return character in _FORMULA_CHARACTERS
    return False


def cell(value) -> str:
    """Return `value` as CSV text; text starting like a formula gets a leading apostrophe.

    Numbers are ours, not someone's input: they stay numbers (-12.5 is a longitude).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if is_formula_like(text) else text


class Echo:
    """A file-like object for csv.writer whose write() returns the row instead of storing it."""

    def write(self, value):
        return value


# --- CSV that opens right in the user's spreadsheet ---------------------------------------


@dataclass(frozen=True)
class CsvStyle:
    """How a spreadsheet of one language reads CSV.

    German Excel splits columns at ";" (its list separator, since "," is the decimal mark),
    reads "1,5" as a number and takes the file as UTF-8 only with a BOM: without these it
    puts everything in one column and shows "geÃ¶ffnet".
    """

    delimiter: str
    decimal: str
    bom: bool


ENGLISH_CSV = CsvStyle(delimiter=",", decimal=".", bom=False)
GERMAN_CSV = CsvStyle(delimiter=";", decimal=",", bom=True)
_STYLES = {"de": GERMAN_CSV}

BOM = "\ufeff"
# Times as both German and English spreadsheets recognise them (in the user's zone).
CSV_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def csv_style(language: str | None = None) -> CsvStyle:
    """The style for `language` (default: the active one); English for any other language."""
    code = (language or translation.get_language() or "en").split("-")[0].lower()
    return _STYLES.get(code, ENGLISH_CSV)


class ExcelCsv:
    """Turns rows of plain values into CSV lines in the user's language's style.

    Text passes the formula guard (`cell`), numbers get the language's decimal mark,
    aware datetimes are written in `zone` (default: the active one, read now: a stream is
    consumed after the view's time zone activation is over). `start()` is the file's first
    piece (the BOM, where the language wants one).
    """

    def __init__(self, style: CsvStyle | None = None, zone: tzinfo | None = None):
        self.style = style or csv_style()
        self.zone = zone or timezone.get_current_timezone()
        self._writer = csv.writer(Echo(), delimiter=self.style.delimiter)

    def start(self) -> str:
        return BOM if self.style.bom else ""

    def row(self, values) -> str:
        return self._writer.writerow([self.value(value) for value in values])

    def value(self, value) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return cell(str(value))
        if isinstance(value, int):
            return str(value)
        if isinstance(value, float | Decimal):
            return str(value).replace(".", self.style.decimal)
        if isinstance(value, datetime):
            moment = value.astimezone(self.zone) if value.tzinfo is not None else value
            return moment.strftime(CSV_TIME_FORMAT)
        if isinstance(value, date):
            return value.isoformat()
        return cell(value)


def file_stamp(zone: tzinfo | None = None) -> str:
    """Return now as an export's file name carries it ("20261207-200000"): in `zone`, by
    default the user's, the zone the file's local times are in (never UTC's date and hour)."""
    return timezone.localtime(timezone=zone).strftime("%Y%m%d-%H%M%S")


def csv_response(lines, *, filename: str, writer: ExcelCsv) -> StreamingHttpResponse:
    """A streamed CSV download: `writer.start()` (the BOM, if any) then `lines` (text).

    The language active now goes with the stream (it is consumed after the view returned),
    so translated words written while streaming stay in the user's language.
    """
    language = translation.get_language()

    def pieces():
        with translation.override(language):
            yield writer.start()
            yield from lines

    response = StreamingHttpResponse(pieces(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
