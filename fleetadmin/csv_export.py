"""CSV exports: cells a spreadsheet would run as formulas made inert, rows written for streaming."""

# A spreadsheet treats cells starting with these as formulas (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str:
    """Return `value` as CSV text; text starting like a formula gets a leading apostrophe.

    Numbers are ours, not someone's input: they stay numbers (-12.5 is a longitude).
    """
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


class Echo:
    """A file-like object for csv.writer whose write() returns the row instead of storing it."""

    def write(self, value):
        return value
