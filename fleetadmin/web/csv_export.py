"""CSV exports: cells a spreadsheet would run as formulas made inert, rows written for streaming."""

import unicodedata

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
