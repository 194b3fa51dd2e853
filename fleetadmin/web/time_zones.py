"""The time-zone picker's choices: IANA zones grouped by region, not ~600 names in a row.

Each region (the part before the first "/") is an <optgroup> with a translated label; an
option's text is the rest of the name, underscores as spaces ("Buenos Aires"), its value
the full IANA name. Names without a known region (UTC, legacy aliases such as US/Eastern,
still valid and maybe stored) come last under "Other".
"""

import zoneinfo
from functools import cache

from django.utils.translation import gettext_lazy as _

# In the order shown; the keys are IANA's region names.
REGIONS = {
    "Europe": _("Europe"),
    "America": _("America"),
    "Africa": _("Africa"),
    "Asia": _("Asia"),
    "Australia": _("Australia"),
    "Pacific": _("Pacific"),
    "Atlantic": _("Atlantic"),
    "Indian": _("Indian Ocean"),
    "Antarctica": _("Antarctica"),
    "Arctic": _("Arctic"),
}


@cache
def _grouped_names() -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    groups: dict[str, list[tuple[str, str]]] = {region: [] for region in REGIONS}
    other = []
    for name in sorted(zoneinfo.available_timezones()):
        region, _slash, place = name.partition("/")
        if region in groups and place:
            groups[region].append((name, place.replace("_", " ")))
        else:
            other.append((name, name.replace("_", " ")))
    return (*((region, tuple(groups[region])) for region in REGIONS), ("", tuple(other)))


def time_zone_choices() -> list:
    """Return grouped choices for a ChoiceField: [(region label, [(name, place), …]), …]."""
    return [(REGIONS[region] if region else _("Other"), list(names))
            for region, names in _grouped_names()]


# The select's data-* for static/js/zone_picker.js: the words it shows, translated here.
ZONE_PICKER_ATTRS = {
    "data-zone-picker": "",
    "data-filter-label": _("Find a time zone"),
    "data-filter-empty": _("No time zone matches."),
    "data-browser-label": _("Your browser's time zone:"),
    "data-browser-use": _("Use it"),
}
