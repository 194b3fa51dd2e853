"""The Leaflet map and tile-layer options every map page ships (built with folium).

In the screen kit because more than the maps screen draws maps: the alerts' depot editor
uses it too, and alerts may not import a screen (maps.services re-exports it).
"""

from functools import lru_cache

import folium
from django.conf import settings
from django.utils.translation import get_language
from folium.utilities import camelize


def map_config(*, center=(48.137, 11.576), zoom: int = 12) -> dict:
    """Return the Leaflet map and tile-layer options, built with folium, as JSON-ready data.

    folium checks and completes the options (defaults, max native zoom, subdomains); our
    static scripts (maps.js, depot_map.js) turn them into Leaflet objects. Nothing of
    folium's HTML, and so none of its CDN links, reaches a page. The scale shows miles and
    feet beside metres only in English; in German, metres alone.
    """
    metric_only = (get_language() or "en").split("-")[0] != "en"
    map_options, tiles = _folium_options(settings.FLEETADMIN_TILE_URL,
                                         settings.FLEETADMIN_TILE_ATTRIBUTION,
                                         settings.FLEETADMIN_TILE_MAX_ZOOM)
    return {
        "center": [float(center[0]), float(center[1])],
        "map": {**map_options, "zoom": zoom},
        "tiles": {"url": tiles["url"], "options": dict(tiles["options"])},
        "scale": {"metric": True, "imperial": not metric_only},
    }


@lru_cache(maxsize=8)
def _folium_options(url: str, attribution: str, max_zoom: int) -> tuple[dict, dict]:
    """folium's options for a map and its tile layer: the same for every map of one tile
    setting, so built once (about 5 ms each) and not on every map request. Callers copy."""
    base = folium.Map(location=[0, 0], zoom_start=1, tiles=None, control_scale=True)
    tiles = folium.TileLayer(url, attr=attribution, max_zoom=max_zoom, name="tiles")
    tiles.add_to(base)
    map_options = {camelize(key): value for key, value in base.options.items()}
    map_options.pop("zoom", None)  # each map's own
    return map_options, {"url": tiles.tiles,
                         "options": {camelize(key): value for key, value in tiles.options.items()}}
