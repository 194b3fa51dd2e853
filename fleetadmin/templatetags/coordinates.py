"""{% load coordinates %}{% coordinates lat lon %}: fleetadmin.web.coordinates in templates."""

from django import template

from fleetadmin.web.coordinates import coordinates_text

register = template.Library()


@register.simple_tag(name="coordinates")
def coordinates_tag(latitude, longitude) -> str:
    """Return the position as fleetadmin.web.coordinates writes it, in every language."""
    return coordinates_text(latitude, longitude)
