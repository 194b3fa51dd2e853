"""Maps to take away: a route or a moment as one self-contained HTML file (built with folium),
and a route as GPX 1.1 and GeoJSON.

The HTML file opens offline (attached to a fine or a dispute): Leaflet's script and
stylesheet are inlined from static/vendor/leaflet, the marker images are data: URIs, and the
map's own folium asset lists are emptied PER MAP (folium's class-level lists point at CDNs and
are shared by every map in the process: never mutated here). Only the tiles come from the
network when there is one; without it the line and the markers still draw.

Names from the API (a car's name, its plate) never enter JavaScript source: folium writes
popup and tooltip text into a template literal, where `${...}`, a backtick or `\\1` would run
or break. They are written into the page's HTML by Django (escaped), and the markers' labels
travel as JSON (`json_script`) that a small script puts in with textContent.

Builders take plain values (texts already in the user's zone and language), so that this
module knows nothing of requests; maps/downloads.py is the view side.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree

import folium
from branca.element import Element, Figure, MacroElement
from django.conf import settings
from django.template.loader import render_to_string
from django.utils.html import escape
from jinja2 import Template

LEAFLET_DIR = Path(settings.BASE_DIR) / "static" / "vendor" / "leaflet"
GPX_NAMESPACE = "http://www.topografix.com/GPX/1/1"


@dataclass(frozen=True)
class Mark:
    """A marker on a taken-away map: where, and the label shown on it (plain text)."""

    latitude: float
    longitude: float
    label: str
    kind: str = "stop"  # "start", "end", "stop" or "position"


@dataclass(frozen=True)
class Sheet:
    """What the file says about itself above the map (all plain text, escaped when written)."""

    title: str  # the document's title
    heading: str
    facts: tuple[tuple[str, str], ...]  # (term, value): car, plate, period, zone, ...
    table_caption: str = ""
    table_head: tuple[str, ...] = ()
    table_rows: tuple[tuple[str, ...], ...] = ()
    note: str = ""


# --- inlined assets -----------------------------------------------------------------------


def _data_uri(path: Path) -> str:
    import base64

    return "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")


@functools.cache  # the vendored files change only with a deploy
def _leaflet_css() -> str:
    """leaflet.css with its image references (layers control, default icon) as data: URIs."""
    css = (LEAFLET_DIR / "leaflet.css").read_text(encoding="utf-8")
    return re.sub(r"url\((['\"]?)images/([\w.-]+\.png)\1\)",
                  lambda m: f"url({_data_uri(LEAFLET_DIR / 'images' / m.group(2))})", css)


@functools.cache
def _leaflet_js() -> str:
    return _inline_script((LEAFLET_DIR / "leaflet.js").read_text(encoding="utf-8"))


def _inline_script(source: str) -> str:
    # A "</script" inside would end the element early; Leaflet has none, and must not.
    if "</script" in source.lower():
        raise ValueError("script cannot be inlined: it contains </script")
    return f"<script>{source}</script>"


def _marker_icon() -> folium.CustomIcon:
    # Leaflet's own default pin, embedded: folium's image_to_url turns a file into data:.
    return folium.CustomIcon(
        str(LEAFLET_DIR / "images" / "marker-icon.png"), icon_size=(25, 41),
        icon_anchor=(12, 41), popup_anchor=(1, -34),
        shadow_image=str(LEAFLET_DIR / "images" / "marker-shadow.png"), shadow_size=(41, 41),
        shadow_anchor=(12, 41),
    )


class _Raw(Element):
    """Text put into the page as it is. branca's Element would compile its text as a Jinja
    template: a car named "{{ 7*7 }}" would be evaluated on the server (and 150 KB of Leaflet
    compiled on every download)."""

    def __init__(self, text: str):
        super().__init__()
        self._text = text

    def render(self, **kwargs) -> str:
        return self._text


class _Labels(MacroElement):
    """Binds each marker's label as a tooltip, read from JSON and set with textContent."""

    _template = Template("""
{% macro script(this, kwargs) %}
(function () {
  var labels = JSON.parse(document.getElementById({{ this.data_id|tojson }}).textContent);
  var markers = [{{ this.marker_names|join(", ") }}];
  markers.forEach(function (marker, i) {
    var text = document.createElement("span");
    text.textContent = labels[i];
    marker.bindTooltip(text);
  });
})();
{% endmacro %}
""")

    def __init__(self, marker_names: list[str], data_id: str):
        super().__init__()
        self._name = "Labels"
        self.marker_names = marker_names  # folium's own variable names: [a-z0-9_] only
        self.data_id = data_id


# --- the HTML map -------------------------------------------------------------------------


_MARK_COLOURS = {"start": "#1a7f37", "end": "#b42318", "stop": "#7a4cc2"}


def html_map(*, sheet: Sheet, lines: list[list[tuple[float, float]]], marks: list[Mark],
             language: str = "en") -> str:
    """Return one self-contained HTML page: the sheet, then the map of `lines` and `marks`."""
    figure = Figure(title=escape(sheet.title))  # branca's Jinja does not escape
    figure.header.add_child(_Raw(f"<style>{_leaflet_css()}</style>"), name="leaflet_css")
    figure.header.add_child(_Raw(_leaflet_js()), name="leaflet_js")
    figure.header.add_child(_Raw(
        "<style>body{font-family:system-ui,sans-serif;margin:0;padding:0 1rem}"
        ".takeaway-map{height:70vh;min-height:320px}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.2rem .5rem;"
        "text-align:left}dt{font-weight:600}dd{margin:0 0 .3rem}</style>"), name="sheet_css")
    figure.html.add_child(_Raw(render_to_string("maps/takeaway_sheet.html",
                                                   {"sheet": sheet, "part": "head"})))

    points = [point for line in lines for point in line] + [
        (mark.latitude, mark.longitude) for mark in marks]
    center = points[0] if points else (48.137, 11.576)
    base = folium.Map(location=list(center), zoom_start=14, tiles=None, control_scale=True,
                      height="70vh")
    # Per map, never folium's class-level lists (shared by every map, and all CDN links).
    base.default_js = []
    base.default_css = []
    figure.add_child(base)
    folium.TileLayer(settings.FLEETADMIN_TILE_URL, attr=settings.FLEETADMIN_TILE_ATTRIBUTION,
                     max_zoom=settings.FLEETADMIN_TILE_MAX_ZOOM, name="tiles").add_to(base)
    for line in lines:
        if len(line) >= 2:
            folium.PolyLine(line, color="#1f5fbf", weight=4, opacity=0.85).add_to(base)
    markers = []
    for mark in marks:
        if mark.kind == "position":
            marker = folium.Marker([mark.latitude, mark.longitude], icon=_marker_icon())
        else:
            marker = folium.CircleMarker([mark.latitude, mark.longitude], radius=7,
                                         color=_MARK_COLOURS.get(mark.kind, "#7a4cc2"),
                                         fill=True, fill_opacity=0.9)
        marker.add_to(base)
        markers.append(marker)
    if len(points) >= 2:
        lats = [p[0] for p in points]
        lons = [p[1] for p in points]
        base.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(24, 24))
    figure.html.add_child(_Raw(render_to_string(
        "maps/takeaway_sheet.html",
        {"sheet": sheet, "part": "foot", "labels": [mark.label for mark in marks]})))
    if markers:
        base.add_child(_Labels([marker.get_name() for marker in markers], "takeaway-labels"))
    html = figure.render()
    return html.replace("<html>", f'<html lang="{escape(language)}">', 1)


# --- GPX and GeoJSON ----------------------------------------------------------------------


def utc_text(moment: datetime) -> str:
    """Return `moment` as ISO 8601 in UTC with a Z: what GPX and GeoJSON readers expect."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# Characters XML 1.0 cannot hold at all, not even escaped: an API name carrying one would
# make the whole file unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_text(text: str) -> str:
    """Return `text` without the characters XML 1.0 forbids (ElementTree escapes the rest)."""
    return _NOT_XML.sub("", text or "")


def gpx(*, name: str, description: str, segments, stops, stop_name) -> bytes:
    """Return GPX 1.1: one waypoint per stop, one track with one segment per part of the route.

    `segments` holds lists of samples (latitude, longitude, recorded_at); `stop_name(stop)`
    names a waypoint. ElementTree escapes every text and attribute.
    """
    ElementTree.register_namespace("", GPX_NAMESPACE)
    ns = f"{{{GPX_NAMESPACE}}}"
    root = ElementTree.Element(f"{ns}gpx", {"version": "1.1", "creator": "fleetadmin"})
    metadata = ElementTree.SubElement(root, f"{ns}metadata")
    name = xml_text(name)
    ElementTree.SubElement(metadata, f"{ns}name").text = name
    ElementTree.SubElement(metadata, f"{ns}desc").text = xml_text(description)
    for stop in stops:  # GPX 1.1 orders wpt before trk
        waypoint = ElementTree.SubElement(root, f"{ns}wpt", {
            "lat": f"{stop.latitude:.6f}", "lon": f"{stop.longitude:.6f}"})
        ElementTree.SubElement(waypoint, f"{ns}time").text = utc_text(stop.start)
        ElementTree.SubElement(waypoint, f"{ns}name").text = xml_text(stop_name(stop))
        ElementTree.SubElement(waypoint, f"{ns}type").text = "stop"
    track = ElementTree.SubElement(root, f"{ns}trk")
    ElementTree.SubElement(track, f"{ns}name").text = name
    for segment in segments:
        trkseg = ElementTree.SubElement(track, f"{ns}trkseg")
        for point in segment:
            trkpt = ElementTree.SubElement(trkseg, f"{ns}trkpt", {
                "lat": f"{point.latitude:.6f}", "lon": f"{point.longitude:.6f}"})
            ElementTree.SubElement(trkpt, f"{ns}time").text = utc_text(point.recorded_at)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def geojson(*, properties: dict, segments, stops) -> bytes:
    """Return a GeoJSON FeatureCollection: the route (a LineString, a MultiLineString when it
    has gaps) with each sample's UTC time, and one Point per stop. Coordinates are [lon, lat].
    """
    drawn = [segment for segment in segments if segment]
    features = []
    if drawn:
        coordinates = [[[p.longitude, p.latitude] for p in segment] for segment in drawn]
        times = [[utc_text(p.recorded_at) for p in segment] for segment in drawn]
        if len(drawn) == 1 and len(drawn[0]) == 1:
            geometry = {"type": "Point", "coordinates": coordinates[0][0]}
            times = times[0]
        elif len(drawn) == 1:
            geometry = {"type": "LineString", "coordinates": coordinates[0]}
            times = times[0]
        else:
            geometry = {"type": "MultiLineString", "coordinates": coordinates}
        features.append({"type": "Feature", "geometry": geometry,
                         "properties": {**properties, "kind": "route", "times": times}})
    for stop in stops:
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [stop.longitude, stop.latitude]},
            "properties": {"kind": "stop", "start": utc_text(stop.start),
                           "end": utc_text(stop.end),
                           "duration_seconds": int(stop.duration.total_seconds())},
        })
    return json.dumps({"type": "FeatureCollection", "features": features},
                      ensure_ascii=False, indent=1).encode("utf-8")


# --- file names ---------------------------------------------------------------------------


def file_name(car_name: str, car_id: int, day: str, extension: str) -> str:
    """Return a safe attachment name: the car's name folded to ASCII, the day, the extension.

    "Müller's Wagen </script>" on 2026-12-07 -> "Mullers-Wagen-script-2026-12-07.gpx".
    """
    folded = unicodedata.normalize("NFKD", car_name or "").encode("ascii", "ignore").decode()
    folded = re.sub(r"['`]", "", folded)
    stem = re.sub(r"[^A-Za-z0-9]+", "-", folded).strip("-")[:60].strip("-")
    return f"{stem or f'car-{car_id}'}-{day}.{extension}"


def attachment(name: str) -> str:
    """Return a Content-Disposition value; `name` is already plain ASCII (file_name)."""
    return f'attachment; filename="{name}"'
