"""What every row of the car list repeats, made once instead of once per row.

`{% url %}` and `{% translate %}` cost a URL resolver walk and a catalogue lookup through
the active-language local each time; in a 25-row list they were half of the page's render
time. A car's URLs differ only in its id, and a row's labels only by language.
"""

from functools import lru_cache

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

register = template.Library()

# Stands in for the car id in the one reversed URL per name; digits, so <int:...> accepts it.
_PLACEHOLDER = "918273645"


@lru_cache(maxsize=64)
def _url_parts(name: str, prefix: str, urlconf: object) -> tuple[str, str]:
    url = reverse(name, args=[int(_PLACEHOLDER)], urlconf=urlconf)
    head, found, tail = url.partition(_PLACEHOLDER)
    if not found or _PLACEHOLDER in tail:
        raise ValueError(f"cannot template the URL of {name!r}")
    return head, tail


@register.filter
def car_url(car_id, name: str) -> str:
    """`{{ car.id|car_url:"cars:edit" }}`: the same as `{% url "cars:edit" car.id %}`."""
    head, tail = _url_parts(name, get_script_prefix(), get_urlconf())
    return f"{head}{int(car_id)}{tail}"


@lru_cache(maxsize=16)
def _labels(language: str | None) -> dict[str, str]:
    # Same message ids as the template had, so existing translations apply unchanged.
    return {
        "name": _("Name"),
        "license_plate": _("Licence plate"),
        "brand": _("Brand"),
        "model": _("Model"),
        "vin": _("VIN"),
        "new": _("new"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "edit_named": _("Edit %(name)s"),
        "delete_named": _("Delete %(name)s"),
    }


@register.simple_tag
def car_row_labels() -> dict[str, str]:
    """`{% car_row_labels as labels %}`: a row's texts in the active language, made once."""
    return _labels(get_language())


@register.filter
def named(pattern: str, name) -> str:
    """`{{ labels.edit_named|named:car.name }}`: the pattern with the name (escaped later)."""
    return pattern % {"name": name}
