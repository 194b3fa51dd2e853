"""The Leaflet map and tile-layer options every map page ships (built with folium).

In the screen kit because more than the maps screen draws maps: the alerts' depot editor
uses it too, and alerts may not import a screen.
"""

import folium
from django.conf import settings
from folium.utilities import camelize


def map_config(*, center=(48.137, 11.576), zoom: int = 12) -> dict:
    """Return the Leaflet map and tile-layer options, built with folium, as JSON-ready data.

    folium checks and completes the options (defaults, max native zoom, subdomains); our
    static scripts (maps.js, depot_map.js) turn them into Leaflet objects. Nothing of
    folium's HTML, and so none of its CDN links, reaches a page.
    """
    base = folium.Map(location=list(center), zoom_start=zoom, tiles=None, control_scale=True)
    tiles = folium.TileLayer(
        settings.FLEETADMIN_TILE_URL, attr=settings.FLEETADMIN_TILE_ATTRIBUTION,
        max_zoom=settings.FLEETADMIN_TILE_MAX_ZOOM, name="tiles",
    )
    tiles.add_to(base)
    return {
        "center": list(base.location),
        "map": {camelize(key): value for key, value in base.options.items()},
        "tiles": {"url": tiles.tiles,
                  "options": {camelize(key): value for key, value in tiles.options.items()}},
    }
