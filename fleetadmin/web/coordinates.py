"""Coordinates written one way in every language: "48.13710, 11.57500".

People copy them into other tools (maps, GPS devices, spreadsheets), which all read a decimal
point and a comma between the two; a German "48,13710" would be read as two numbers. So
never `floatformat` (it localizes) and never the browser's toLocaleString: this helper, and
its twin `coordinates()` in static/js/maps.js, with the same number of decimals.
"""

DECIMALS = 5  # 1.1 m at the equator: finer than any flinkey IQ fix


def coordinate_text(degrees: float | None) -> str:
    """Return one coordinate, "48.13710" ("" when missing): a report's column, an audit
    entry's latitude."""
    if degrees is None:
        return ""
    return f"{float(degrees):.{DECIMALS}f}"


def coordinates_text(latitude: float | None, longitude: float | None) -> str:
    """Return "48.13710, 11.57500" ("" when either value is missing)."""
    if latitude is None or longitude is None:
        return ""
    return f"{coordinate_text(latitude)}, {coordinate_text(longitude)}"
