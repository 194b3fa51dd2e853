"""Coordinates are written one way in every language: decimal point, five decimals."""

import re
from pathlib import Path

import pytest
from django.template import Context, Template
from django.utils import translation

from fleetadmin.web.coordinates import DECIMALS, coordinate_text, coordinates_text

ROOT = Path(__file__).resolve().parents[2]


def test_the_helper_writes_a_decimal_point_and_five_decimals():
    assert coordinates_text(48.1371, 11.575) == "48.13710, 11.57500"
    assert coordinates_text(-33.8688197, 151) == "-33.86882, 151.00000"
    assert coordinates_text(None, 11.5) == ""


@pytest.mark.parametrize("language", ["de", "en"])
def test_the_template_tag_is_never_localized(language):
    # floatformat would write "48,13710" in German (USE_L10N); the tag never does.
    source = "{% load coordinates %}{% coordinates lat lon %}"
    with translation.override(language):
        text = Template(source).render(Context({"lat": 48.1371, "lon": 11.575}))
    assert text == "48.13710, 11.57500"


def test_maps_js_writes_them_with_the_same_decimals():
    script = (ROOT / "static/js/maps.js").read_text()
    assert f"var COORDINATE_DECIMALS = {DECIMALS};" in script
    assert "toLocaleString" not in re.search(r"function coordinates\([^}]*\}", script).group(0)


def test_no_template_formats_coordinates_itself():
    # One helper: any other way of writing latitude/longitude drifts from it.
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if re.search(r"(latitude|longitude|\.lat|\.lon)\|floatformat", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_one_coordinate_alone_is_written_the_same_way():
    assert coordinate_text(48.1371) == "48.13710"
    assert coordinate_text(-11) == "-11.00000"
    assert coordinate_text(None) == ""
