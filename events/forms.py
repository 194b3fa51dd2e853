"""The timeline's filters and the form recording an event (it mirrors what PUT /events refuses)."""

from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.services import CLOSED, OPENED, Filters, NewEvent
from fleetadmin.dates import DayField
from people.fields import PersonField

# flinkey's ids are int32.
MAX_ID = 2_147_483_647
# A clock a little ahead is not a mistake; an event an hour ahead is.
FUTURE_TOLERANCE = timedelta(minutes=5)


class TimelineFilterForm(forms.Form):
    """Type, flinkey user id and a range of days (the user's days); all optional."""

    type = forms.ChoiceField(
        label=_("Event"), required=False,
        choices=[("", _("opened or closed")), (OPENED, _("opened")), (CLOSED, _("closed"))],
    )
    # A name of the fleet's people, or a flinkey user id.
    user = PersonField(label=_("Person or flinkey user id"), required=False, max_value=MAX_ID)
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
    moment = forms.DateTimeField(
        label=_("When"),
        input_formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M:%S",
                       "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local", "step": "1"},
                                   format="%Y-%m-%dT%H:%M:%S"),
        error_messages={"required": _("Enter when it happened: flinkey needs a valid date "
                                      "and time."),
                        "invalid": _("Enter a valid date and time: flinkey needs one.")},
    )
    user_id = PersonField(
        label=_("Person or flinkey user id"), max_value=MAX_ID,
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

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user_id"].directory = people

    def clean_moment(self):
        moment = self.cleaned_data["moment"]
        if moment > timezone.now() + FUTURE_TOLERANCE:
            raise forms.ValidationError(_("This moment is in the future: record events "
                                          "that have happened."))
        return moment

    def clean(self):
        cleaned = super().clean()
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

    # Which field a refusal of PUT /events concerns (the API's sentence names it).
    REFUSED_FIELDS = (
        ("no valid type", "type"),
        ("no valid datetime", "moment"),
        ("no valid utcdatetime", "moment"),
        ("no valid latitude", "latitude"),
        ("no valid longitude", "longitude"),
        ("given userid", "user_id"),
    )

    def field_refused(self, sentence: str) -> str | None:
        """Return the field the API's refusal `sentence` is about, or None."""
        sentence = sentence.lower()
        return next((name for key, name in self.REFUSED_FIELDS if key in sentence), None)


class LeftOpenForm(forms.Form):
    """How many hours a car must have been open to count as left open."""

    hours = forms.IntegerField(label=_("Open for more than (hours)"), min_value=1,
                               max_value=24 * 60,
                               widget=forms.NumberInput(attrs={"inputmode": "numeric"}))
