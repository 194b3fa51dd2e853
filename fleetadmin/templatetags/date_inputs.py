"""{% load date_inputs %}{% datetime_hint %}: the placeholder of a hand-written moment input
("TT.MM.JJJJ HH:MM"), from fleetadmin.web.dates, for inputs built in templates (the maps).
"""

from django import template

from fleetadmin.web.dates import input_hint

register = template.Library()


@register.simple_tag
def datetime_hint() -> str:
    """Return how the active language writes a date and time to type, as a placeholder."""
    return input_hint()
