"""The timeline's filters and the form recording an event (it mirrors what PUT /events refuses)."""

from datetime import datetime, tzinfo

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.services import CLOSED, OPENED, Filters, NewEvent
from fleetadmin.web.dates import DayField, MomentField, existing_occurrences, in_future
from flinkey import BadRequestError, NotFoundError
from people.fields import PersonField

# The two occurrences of a time in the hour the clocks go back.
FIRST, SECOND = "first", "second"


def _offset(moment: datetime) -> str:
    """"+02:00" for a moment two hours ahead of UTC."""
    minutes = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


class TimelineFilterForm(forms.Form):
    """Type, flinkey user id and a range of days (the user's days); all optional."""

    type = forms.ChoiceField(
        label=_("Event"), required=False,
        choices=[("", _("opened or closed")), (OPENED, _("opened")), (CLOSED, _("closed"))],
    )
    # A name of the fleet's people, or a flinkey user id.
    user = PersonField(label=_("Person or flinkey user id"), required=False)
    since = DayField(label=_("From"), required=False)
    until = DayField(label=_("Until"), required=False)

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.people = self.fields["user"].directory = people

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The last day is before the first day."))
        return cleaned

    def filters(self) -> Filters:
        """Return the filters of a valid form."""
        data = self.cleaned_data
        return Filters(kind=data.get("type") or "", user_id=data.get("user"),
                       since=data.get("since"), until=data.get("until"))


class EventForm(forms.Form):
    """What happened, when (the user's zone), by whom, and optionally where."""

    type = forms.ChoiceField(
        label=_("What happened"), widget=forms.RadioSelect,
        choices=[(OPENED, _("The car was opened")), (CLOSED, _("The car was closed"))],
        error_messages={"required": _("Choose whether the car was opened or closed: flinkey "
                                      "needs a valid type."),
                        "invalid_choice": _("Choose whether the car was opened or closed: "
                                            "flinkey needs a valid type.")},
    )
    moment = MomentField(
        label=_("When"),
        # The language's own formats and ISO 8601 (fleetadmin.web.dates: why not datetime-local).
        seconds=True,
        error_messages={"required": _("Enter when it happened: flinkey needs a valid date "
                                      "and time."),
                        "invalid": _("Enter a valid date and time: flinkey needs one.")},
    )
    # Only asked when the time typed happens twice (the autumn hour the clocks go back).
    occurrence = forms.ChoiceField(
        label=_("Which one?"), required=False, widget=forms.RadioSelect,
        choices=[(FIRST, _("the first")), (SECOND, _("the second"))],
    )
    user_id = PersonField(
        label=_("Person or flinkey user id"),
        help_text=_("Who opened or closed the car: a name from the fleet's people or a flinkey "
                    "user id. Your own id is set on the Settings page."),
        error_messages={"required": _("Enter the flinkey user id of the person: flinkey "
                                      "needs a valid user.")},
    )
    latitude = forms.FloatField(
        label=_("Latitude"), required=False, min_value=-90, max_value=90,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )
    longitude = forms.FloatField(
        label=_("Longitude"), required=False, min_value=-180, max_value=180,
        widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
    )

    def __init__(self, *args, zone: tzinfo | None = None, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone or timezone.get_current_timezone()
        self.fields["moment"].help_text = _(
            "In %(zone)s (your time zone); sent to flinkey in UTC and as the car’s local time "
            "in %(car_zone)s (the fleet’s time zone).") % {
            "zone": self.zone, "car_zone": settings.FLEETADMIN_FLEET_TIME_ZONE}
        self.fields["occurrence"].label = _(
            "This time happened twice in %(zone)s: the clocks were put back an hour. Which "
            "one?") % {"zone": self.zone}
        # True when the time typed happens twice: the form then shows `occurrence`.
        self.ambiguous = False
        self.fields["user_id"].directory = people

    def clean_moment(self):
        wall = self.cleaned_data["moment"]
        if wall.tzinfo is not None:
            return wall
        found = existing_occurrences(wall, self.zone)
        if len(found) == 2:
            return self._one_of(found)
        return found[0]

    def _one_of(self, found: list[datetime]) -> datetime | None:
        """The occurrence chosen of a time that happens twice; without a choice, asks."""
        self.ambiguous = True
        first, second = found
        self.fields["occurrence"].choices = [
            (FIRST, _("the first, %(zone)s (UTC%(offset)s)") % {
                "zone": first.tzname(), "offset": _offset(first)}),
            (SECOND, _("the second, %(zone)s (UTC%(offset)s)") % {
                "zone": second.tzname(), "offset": _offset(second)}),
        ]
        choice = self.data.get(self.add_prefix("occurrence"))
        if choice == FIRST:
            return first
        if choice == SECOND:
            return second
        self.add_error("occurrence", _(
            "%(time)s happened twice on that day: the clocks were put back an hour. "
            "Choose which one you mean.") % {"time": first.strftime("%H:%M:%S")})
        return None

    def clean(self):
        cleaned = super().clean()
        moment = cleaned.get("moment")
        if moment is not None and in_future(moment):
            self.add_error("moment", _("This moment is in the future: record events that "
                                       "have happened."))
        latitude, longitude = cleaned.get("latitude"), cleaned.get("longitude")
        if "latitude" in cleaned and "longitude" in cleaned:
            if latitude is None and longitude is not None:
                self.add_error("latitude", _("Enter both coordinates, or neither."))
            elif longitude is None and latitude is not None:
                self.add_error("longitude", _("Enter both coordinates, or neither."))
        return cleaned

    def new_event(self, car_id: int) -> NewEvent:
        """Return the event a valid form describes."""
        data = self.cleaned_data
        return NewEvent(car_id=car_id, kind=data["type"], moment=data["moment"],
                        user_id=data["user_id"], latitude=data.get("latitude"),
                        longitude=data.get("longitude"))

    # The form's field for each request field a refusal of PUT /events can name (the
    # client's `BadRequestError.field`); the user agent is ours, not the form's.
    REFUSED_FIELDS = {
        "type": "type",
        "date_time": "moment",
        "utc_date_time": "moment",
        "latitude": "latitude",
        "longitude": "longitude",
    }

    def field_refused(self, error: Exception) -> str | None:
        """Return the form field flinkey's refusal `error` is about, or None."""
        if isinstance(error, NotFoundError) and error.kind == "user":
            return "user_id"
        if isinstance(error, BadRequestError):
            return self.REFUSED_FIELDS.get(error.field)
        return None


class LeftOpenForm(forms.Form):
    """How many hours a car must have been open to count as left open."""

    hours = forms.IntegerField(label=_("Open for more than (hours)"), min_value=1,
                               max_value=24 * 60,
                               widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
