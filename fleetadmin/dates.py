"""The days and moments a person may ask about: a range any time zone can convert.

Year 1 or 9999 in the user's zone falls outside what Python's datetime can hold in UTC;
no fleet has data there, so every date filter and moment picker keeps to this range.
"""

from datetime import date, datetime

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.translation import gettext_lazy as _

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def in_range(moment: datetime | date) -> bool:
    """Return True when `moment` (a date or datetime) lies within the range."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return EARLIEST_DATE <= day <= LATEST_DATE


class DayField(forms.DateField):
    """A date input (ISO, the browser's date picker) limited to the range, saying so."""

    def __init__(self, **kwargs):
        message = _("Enter a date between %(earliest)s and %(latest)s.") % {
            "earliest": EARLIEST_DATE.isoformat(), "latest": LATEST_DATE.isoformat()}
        kwargs.setdefault("widget", forms.DateInput(format="%Y-%m-%d", attrs={
            "type": "date", "min": EARLIEST_DATE.isoformat(), "max": LATEST_DATE.isoformat()}))
        kwargs.setdefault("validators", [MinValueValidator(EARLIEST_DATE, message),
                                         MaxValueValidator(LATEST_DATE, message)])
        super().__init__(**kwargs)
