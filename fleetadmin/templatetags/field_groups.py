"""{% load field_groups %}: what the screen kit's form shell (includes/form.html) asks of a form."""

from django import template

register = template.Library()


@register.filter
def any_required(form) -> bool:
    """True when a field the form shows must be filled (the page then explains the marker)."""
    return any(field.field.required for field in form.visible_fields())
