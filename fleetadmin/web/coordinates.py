"""Coordinates written one way in every language: "48.13710, 11.57500".

People copy them into other tools (maps, GPS devices, spreadsheets), which all read a decimal
point and a comma between the two; a German "48,13710" would be read as two numbers. So
never `floatformat` (it localizes) and never the browser's toLocaleString: this helper, and
its twin `coordinates()` in static/js/maps.js, with the same number of decimals.
"""

DECIMALS = 5  # 1.1 m at the equator: finer than any flinkey IQ fix


def coordinates_text(latitude: float | None, longitude: float | None) -> str:
    """Return "48.13710, 11.57500" ("" when either value is missing)."""
    if latitude is None or longitude is None:
        return ""
    return f"{float(latitude):.{DECIMALS}f}, {float(longitude):.{DECIMALS}f}"
