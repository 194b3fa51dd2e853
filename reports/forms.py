"""The reports' form: a period of days in the reader's zone, cars, and each report's extras.

GET parameters (docs: contracts): `from`, `to` (days, inclusive; ISO or the language's
format), `car` (repeatable flinkey car id; none: the whole fleet), `format`.
"""

from datetime import datetime, time, timedelta, tzinfo
from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from fleetadmin.web.dates import DayField, MomentField, existing_occurrences
from fleetstore.models import FleetSync
from reports.scope import cars_of

DEFAULT_DAYS = 30
MAX_DAYS = 366


def car_choices(store: FleetSync) -> list[tuple[int, str]]:
    """The store's current cars as (flinkey id, "name (plate)") for the selection."""
    return [(car_id, f"{name} ({plate})" if plate else name)
            for car_id, name, plate in cars_of(store).values_list("car_id", "name",
                                                                  "license_plate")]


def midnight(day, zone: tzinfo) -> datetime:
    """The moment `day` begins in `zone`."""
    return datetime.combine(day, time.min, tzinfo=zone)


class _QuickOptions:
    """A <select> written in Python: 10,000 cars through Django's option templates take
    seconds, through format_html still 0.7 s on a loaded machine (two lazy-aware escapes
    per option); one join with the standard library's escape takes 40 ms. Every label and
    value is escaped (html.escape: what django.utils.html.escape does, without its wrapper).
    """

    def render(self, name, value, attrs=None, renderer=None):
        values = value if isinstance(value, list | tuple) else [value]
        chosen = {str(item) for item in values if item not in (None, "")}
        options = "".join([
            f'<option value="{escape(key)}"{" selected" if key in chosen else ""}>'
            f"{escape(str(label))}</option>"
            for key, label in ((str(key), label) for key, label in self.choices)])
        multiple = mark_safe(" multiple") if self.allow_multiple_selected else ""
        return format_html("<select name=\"{}\"{}{}>{}</select>", name, multiple,
                           flatatt(self.build_attrs(self.attrs, attrs)),
                           mark_safe(options))  # noqa: S308 - every piece escaped above


class QuickSelect(_QuickOptions, forms.Select):
    pass


class QuickSelectMultiple(_QuickOptions, forms.SelectMultiple):
    pass


class ReportForm(forms.Form):
    car = forms.TypedMultipleChoiceField(
        label=_("Cars"), coerce=int, required=False,
        help_text=_("None selected: the whole fleet."),
        widget=QuickSelectMultiple(attrs={"size": 6}))

    def __init__(self, data, *, store: FleetSync, zone: tzinfo | None = None,
                 choices=None, **kwargs):
        super().__init__(data, **kwargs)
        self.zone = zone or timezone.get_current_timezone()
        # "from" is a Python keyword: the fields are added under the URL's own names.
        self.fields["from"] = DayField(label=_("From"), required=False)
        self.fields["to"] = DayField(label=_("To"), required=False)
        self.order_fields(["from", "to", "car"])
        self.fields["car"].choices = choices if choices is not None else car_choices(store)

    def clean(self):
        cleaned = super().clean()
        today = timezone.localtime(timezone.now(), self.zone).date()
        last = cleaned.get("to") or today
        first = cleaned.get("from") or (last - timedelta(days=DEFAULT_DAYS - 1))
        if "from" in self.errors or "to" in self.errors:
            return cleaned
        if last < first:
            self.add_error("to", _("The last day is before the first day."))
        elif (last - first).days + 1 > MAX_DAYS:
            self.add_error("to", _("Choose at most %(days)s days.") % {"days": MAX_DAYS})
        cleaned["first_day"], cleaned["last_day"] = first, last
        return cleaned

    @property
    def start(self) -> datetime:
        return midnight(self.cleaned_data["first_day"], self.zone)

    @property
    def end(self) -> datetime:
        return midnight(self.cleaned_data["last_day"] + timedelta(days=1), self.zone)

    @property
    def car_ids(self) -> list[int]:
        return self.cleaned_data.get("car") or []


class UtilisationForm(ReportForm):
    idle = forms.IntegerField(label=_("Idle after (days)"), min_value=1, max_value=MAX_DAYS,
                              required=False,
                              help_text=_("A car counts as idle when it was not used in this "
                                          "many days up to the period's end."))

    def idle_days(self, default: int) -> int:
        return self.cleaned_data.get("idle") or default


class WhoHadForm(forms.Form):
    """"Who had car X at this moment?": a car and a wall-clock time in the reader's zone."""

    who = forms.TypedChoiceField(label=_("Car"), coerce=int, widget=QuickSelect)
    at = MomentField(label=_("At"))

    def __init__(self, data, *, choices, zone: tzinfo | None = None, **kwargs):
        super().__init__(data, **kwargs)
        self.zone = zone or timezone.get_current_timezone()
        self.fields["who"].choices = [("", "—"), *choices]

    def clean_at(self):
        wall = self.cleaned_data["at"]
        if wall is None or wall.tzinfo is not None:
            return wall
        found = existing_occurrences(wall, self.zone)
        # In the hour the clocks go back the time happens twice: the earlier one is meant.
        return found[0]
