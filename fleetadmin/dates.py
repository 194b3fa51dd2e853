"""The days and moments a person may ask about: a range any time zone can convert.

Year 1 or 9999 in the user's zone falls outside what Python's datetime can hold in UTC;
no fleet has data there, so every date filter, moment picker and cursor keeps to this
range (`DayField`, `MomentField`, `in_range`). `occurrences` reads a wall-clock time in a
zone: twice in the autumn hour the clocks go back, never in the spring hour they skip.
"""

from datetime import UTC, date, datetime, tzinfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.functional import lazy
from django.utils.translation import gettext

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def in_range(moment: datetime | date) -> bool:
    """Return True when `moment` (a date or datetime) lies within the range."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return EARLIEST_DATE <= day <= LATEST_DATE


def _range_message() -> str:
    return gettext("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()}


# In the reader's language when shown, not the one active when a form class was built.
range_message = lazy(_range_message, str)


class DayField(forms.DateField):
    """A date input (ISO, the browser's date picker) limited to the range, saying so."""

    def __init__(self, **kwargs):
        message = range_message()
        kwargs.setdefault("widget", forms.DateInput(format="%Y-%m-%d", attrs={
            "type": "date", "min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}))
        kwargs.setdefault("validators", [MinValueValidator(EARLIEST_DATE, message),
                                         MaxValueValidator(LATEST_DATE, message)])
        super().__init__(**kwargs)


class MomentField(forms.DateTimeField):
    """A wall-clock date and time (`datetime-local`) within the range; its value is naive.

    Django's DateTimeField would read it in the current zone at once, and refuse the
    autumn hour that happens twice; the form reads it with `occurrences` instead and asks
    which one was meant. Aware datetimes (initial values) pass through unchanged.
    """

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        # The formats' parsing without DateTimeField's time zone step.
        moment = forms.fields.BaseTemporalField.to_python(self, value)
        if not in_range(moment):
            raise ValidationError(range_message(), code="out_of_range")
        return moment


def occurrences(wall: datetime, zone: tzinfo) -> list[datetime]:
    """Return the aware moments at which the clocks in `zone` read the naive `wall` time.

    One normally; two, earlier first, in the hour repeated when the clocks go back
    (Europe/Berlin 2026-10-25 02:30 is 00:30 and 01:30 UTC); none in the hour skipped when
    they go forward.
    """
    found = []
    for fold in (0, 1):
        moment = wall.replace(tzinfo=zone, fold=fold)
        # A time that exists reads the same after a round trip through UTC.
        if moment.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall and all(
                moment.utcoffset() != other.utcoffset() for other in found):
            found.append(moment)
    return sorted(found, key=lambda moment: moment.astimezone(UTC))
