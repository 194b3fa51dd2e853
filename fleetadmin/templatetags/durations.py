"""{% load durations %}: fleetadmin.web.durations in templates.

{{ when|ago }}, {{ when|open_for:now }}, {{ when|ahead }}.
"""

from django import template

from fleetadmin.web.durations import ago_text, for_text, in_text

register = template.Library()


@register.filter
def ago(moment, now=None) -> str:
    """'2 days ago' / 'vor 2 Tagen' ('' without a moment)."""
    return ago_text(moment, now) if moment else ""


@register.filter
def open_for(moment, now=None) -> str:
    """'2 days' / 'seit 2 Tagen' ('' without a moment)."""
    return for_text(moment, now) if moment else ""


@register.filter
def ahead(moment, now=None) -> str:
    """'in 2 days' / 'in 2 Tagen' ('' without a moment)."""
    return in_text(moment, now) if moment else ""
