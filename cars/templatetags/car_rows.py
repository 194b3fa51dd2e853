"""The car list's rows, written by one tag in Python rather than by template nodes.

A row is ~30 values; in Django's template engine each costs a context lookup, a filter
call and a lazy-aware escape, so 25 rows were most of the list's render time (4 of 5 ms).
Measured end to end (`benchmarks/served.py`: gunicorn over TCP, 10,000 cars, 50 ms; see
docs/benchmarks.md), the list page with this tag takes 0.85–0.88 of its time with the plain
template partial: it pays, so it stays. Every value from the car or the catalogue still
goes through `html.escape` (what Django's `escape` does underneath), once.

What every row repeats is made once per language and URLconf (`_kit`): `{% url %}` and
`{% translate %}` cost a URL resolver walk and a catalogue lookup each time; a car's URLs
differ only in its id (cars.links), and a row's labels only by language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from html import escape

from django import template
from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from cars.links import url_parts
from fleetadmin.web.dates import local_time
from fleetadmin.web.durations import AGO, ago_text, in_text
from flinkey import Event

register = template.Library()

_NONE = "—"  # an empty field


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
        "edit_named": _("Edit %(name)s"),
        "select_named": _("Select %(name)s"),
        # The status columns (the fleet store's): cars.stored_list.
        "devices": _("Devices"),
        "position": _("Position"),
        "state": _("Open/closed"),
        "service_end": _("Service end"),
        "odometer": _("Odometer"),
        "none": _("none"),
        "never": _("never"),
        "open": _("open"),
        "closed": _("closed"),
        "ended": _("ended"),
        "silent": _("silent"),
    }


@dataclass(frozen=True, slots=True)
class _Kit:
    """What all rows share: labels and URL parts, escaped once per language and URLconf."""

    labels: dict[str, str]
    urls: dict[str, tuple[str, str]]  # cars:detail/edit -> (head, tail) around the id

    def url(self, name: str, car_id: int, suffix: str) -> str:
        head, tail = self.urls[name]
        return f"{head}{car_id}{tail}{suffix}"


@lru_cache(maxsize=16)
def _kit(language: str | None, prefix: str, urlconf: object) -> _Kit:
    return _Kit(
        labels={key: escape(text) for key, text in _labels(language).items()},
        urls={name: tuple(escape(part) for part in url_parts(name, prefix, urlconf))
              for name in ("cars:detail", "cars:edit")},
    )


@register.simple_tag(takes_context=True)
def car_row(context, car) -> SafeString:
    """`{% car_row car %}`: one `<tr>` of the car list, every value escaped.

    From the context: `created` (the car just made gets a "new" badge), `can_write` (the
    row's box for bulk actions and its edit link), `list_suffix` (the list's query, so the
    dialogs come back to it), `oob_row` (swapped out of band, after an edit), and
    `statuses` with `status_now`: when the fleet store answered the list, each car's
    status by car id (cars.stored_list), written as five more cells.

    Deleting is not a row action: it is permanent, so it starts on the car's page or from a
    bulk selection, both asking for a typed confirmation (cars.retiring).
    The box sits in the name cell, so the columns (and the phone layout that places them
    by position) are the same for readers without it; it belongs to the #car-bulk form
    around the table.
    """
    kit = _kit(get_language(), get_script_prefix(), get_urlconf())
    labels, car_id, name = kit.labels, int(car.id), escape(car.name or "")
    created, suffix = context.get("created"), escape(context.get("list_suffix") or "")
    is_new = created is not None and created.id == car_id
    can_write = context.get("can_write")
    select = (f'<input type="checkbox" name="car" value="{car_id}" id="car-select-{car_id}" '
              f'class="row-select" data-select-row form="car-bulk" '
              f'aria-label="{labels["select_named"] % {"name": name}}"> ') if can_write else ""
    html = [
        f'\n<tr id="car-row-{car_id}"{' class="car-new"' if is_new else ""}'
        f'{' hx-swap-oob="true"' if context.get("oob_row") else ""}>\n'
        f'  <td data-label="{labels["name"]}" class="user-text">{select}'
        f'<a href="{kit.url("cars:detail", car_id, suffix)}" class="car-name">{name}</a>'
        f'{f' <span class="badge">{labels["new"]}</span>' if is_new else ""}</td>\n',
        *(f'  <td data-label="{labels[key]}" class="user-text">'
          f'{escape(getattr(car, key) or _NONE)}</td>\n'
          for key in ("license_plate", "brand", "model")),
        f'  <td data-label="{labels["vin"]}" class="mono">{escape(car.vin or _NONE)}</td>'
    ]
    statuses = context.get("statuses")
    if statuses is not None:
        html.append(_status_cells(labels, statuses.get(car_id), context.get("status_now")))
    if can_write:
        # The patterns are escaped and the name in them too: "%" can't come from a name.
        edit_url = kit.url("cars:edit", car_id, suffix)
        dialog = 'hx-target="#dialog" hx-swap="outerHTML" hx-indicator="#car-list-loading"'
        html.append(
            f'\n  <td class="row-actions">\n'
            f'    <a href="{edit_url}" id="car-edit-{car_id}" hx-get="{edit_url}" {dialog}\n'
            f'       aria-label="{labels["edit_named"] % {"name": name}}">{labels["edit"]}</a>\n'
            f"  </td>"
        )
    html.append("\n</tr>\n")
    return SafeString("".join(html))


@register.filter
def slash_breaks(label) -> SafeString:
    """`label`, escaped, with a line allowed to break after each slash (`<wbr>`): to the
    browser "Geöffnet/geschlossen" is one word, and as a column name on one line it held
    the car list wider than a 1,366 px screen."""
    return SafeString(escape(str(label)).replace("/", "/<wbr>"))


def _status_cells(labels: dict[str, str], status, now: datetime | None) -> str:
    """The status cells of a row (after the VIN): devices, position age, open/closed,
    the soonest service end and the odometer; "—" each when the store does not know the car
    (just created, not synced yet). Times in the user's zone and language.
    """
    if status is None:
        return "".join(f'\n  <td data-label="{labels[key]}">{_NONE}</td>' for key in _STATUS_KEYS)
    now = now or timezone.now()
    kinds = [name for name, has in (("Box", status.box), ("IQ", status.iq)) if has]
    devices = ", ".join(kinds) if kinds else (labels["none"] if status.iq is not None else _NONE)
    if status.fix_at is not None:
        silent = status.silent(now)
        position = (_time(status.fix_at, _ago(status.fix_at, now))
                    + (f' <span class="badge silent">{labels["silent"]}</span>'
                       if silent else ""))
    else:
        position = labels["never"] if status.iq else _NONE
    if status.state in (Event.OPENED, Event.CLOSED):
        opened = status.state == Event.OPENED
        state = (f'<span class="car-state {"car-open" if opened else "car-closed"}">'
                 f'{labels["open"] if opened else labels["closed"]}</span> '
                 f'<span class="hint">{_time(status.state_at, _ago(status.state_at, now))}'
                 f'</span>')
    else:
        state = _NONE
    service = _service_cell(labels, status, now)
    odometer = _NONE if status.odometer is None else escape(_("%(km)s km") % {
        "km": number_format(round(status.odometer), force_grouping=True)})
    return (f'\n  <td data-label="{labels["devices"]}">{devices}</td>'
            f'\n  <td data-label="{labels["position"]}">{position}</td>'
            f'\n  <td data-label="{labels["state"]}">{state}</td>'
            f'\n  <td data-label="{labels["service_end"]}">{service}</td>'
            f'\n  <td data-label="{labels["odometer"]}" class="number">{odometer}</td>')


_STATUS_KEYS = ("devices", "position", "state", "service_end", "odometer")


def _service_cell(labels: dict[str, str], status, now: datetime) -> str:
    ends = status.service_ends_at
    if ends is None:
        return _NONE
    day = _time(ends, date_format(timezone.localtime(ends), "SHORT_DATE_FORMAT"))
    match status.service_state(now):
        case "ended":
            return f'<span class="badge service-ended">{labels["ended"]}</span> {day}'
        case "ending":
            soon = escape(_("Ends %(when)s") % {"when": in_text(ends, now)})
            return f'<span class="badge service-ending">{soon}</span> {day}'
    return day


# Under four weeks, timesince's largest unit is plain division (no calendar months yet).
_UNITS = ((7 * 86400, "week"), (86400, "day"), (3600, "hour"), (60, "minute"))
_FOUR_WEEKS = 28 * 86400


def _ago(moment: datetime, now: datetime) -> str:
    """`ago_text(moment, now)`, the same words, without timesince's calendar arithmetic for
    the usual ages (most of a row's time went there): up to two calls a row.
    """
    seconds = (now - moment).total_seconds()
    if not 60 <= seconds < _FOUR_WEEKS:
        return ago_text(moment, now)
    for size, unit in _UNITS:
        if seconds >= size:
            count = int(seconds // size)
            # timesince writes the number and unit with a no-break space between.
            return (AGO[unit] % {"num": count}).replace(" ", "\xa0")
    return ago_text(moment, now)  # not reached: a minute or more has a unit


def _time(moment: datetime, text: str) -> str:
    """`text` about `moment` in a <time>, its exact time in the user's zone as the title."""
    return (f'<time datetime="{moment.isoformat()}" title="{escape(local_time(moment))}">'
            f'{escape(text)}</time>')
