"""The days and moments a person may ask about: a range any time zone can convert, written
and read the way the user's language writes them.

Year 1 or 9999 in the user's zone falls outside what Python's datetime can hold in UTC;
no fleet has data there, so every date filter, moment picker and cursor keeps to this
range (`DayField`, `MomentField`, `in_range`). `occurrences` reads a wall-clock time in a
zone: twice in the autumn hour the clocks go back, never in the spring hour they skip.

Date inputs are text inputs in the language's own format (DATE_INPUT_FORMATS[0] and
DATETIME_INPUT_FORMATS of fleetadmin/web/formats/<lang>/formats.py) with a placeholder saying it
("TT.MM.JJJJ HH:MM"). Not <input type=date>: Chromium writes those in the BROWSER's locale
(mm/dd/yyyy in an English browser, whatever the page's language) and no attribute changes
that. Reading accepts the language's formats and ISO 8601 too, so links, bookmarks and
scripts with 2026-12-05 keep working in every language.
"""

import re
from datetime import UTC, date, datetime, timedelta, tzinfo

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import formats, timezone
from django.utils.functional import lazy
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)

# A clock a little ahead is not a mistake; a moment an hour ahead is.
FUTURE_TOLERANCE = timedelta(minutes=5)

DATE_INPUTS = "DATE_INPUT_FORMATS"
DATETIME_INPUTS = "DATETIME_INPUT_FORMATS"

# What each strftime directive stands for in a placeholder; German: TT.MM.JJJJ HH:MM.
_HINT_PARTS = {
    "%d": pgettext_lazy("date input placeholder: day", "DD"),
    "%m": pgettext_lazy("date input placeholder: month", "MM"),
    "%Y": pgettext_lazy("date input placeholder: year", "YYYY"),
    "%y": pgettext_lazy("date input placeholder: two-digit year", "YY"),
    "%H": pgettext_lazy("date input placeholder: hour", "HH"),
    "%M": pgettext_lazy("date input placeholder: minute", "MM"),
    "%S": pgettext_lazy("date input placeholder: second", "SS"),
}
_DIRECTIVE = re.compile(r"%[a-zA-Z]")


def in_range(moment: datetime | date) -> bool:
    """Return True when `moment` (a date or datetime) lies within the range."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return EARLIEST_DATE <= day <= LATEST_DATE


def in_future(moment: datetime) -> bool:
    """Return True when the aware `moment` is still to come (beyond a clock's small lead):
    nothing has happened there yet, no event to record, no position to show."""
    return moment > timezone.now() + FUTURE_TOLERANCE


def input_format(kind: str = DATETIME_INPUTS, *, seconds: bool = False) -> str:
    """Return the active language's first input format of `kind` (with seconds if asked)."""
    choices = formats.get_format(kind)
    if kind == DATETIME_INPUTS:
        return next((f for f in choices if ("%S" in f) == seconds), choices[0])
    return choices[0]


def input_hint(kind: str = DATETIME_INPUTS, *, seconds: bool = False) -> str:
    """Return the placeholder of an input of `kind`: "TT.MM.JJJJ HH:MM", "YYYY-MM-DD HH:MM"."""
    return _DIRECTIVE.sub(lambda m: str(_HINT_PARTS.get(m.group(0), m.group(0))),
                          input_format(kind, seconds=seconds))


def input_value(moment: datetime | date | None, kind: str = DATETIME_INPUTS, *,
                seconds: bool = False) -> str:
    """Return `moment` as the user types it ("" for None); a datetime as it is (no zone change)."""
    if moment is None:
        return ""
    return moment.strftime(input_format(kind, seconds=seconds))


def parse_input(text: str, kind: str = DATETIME_INPUTS) -> datetime | None:
    """Return the naive datetime (a date: at midnight) `text` means in the active language's
    formats or ISO 8601, or None when it means none.
    """
    text = (text or "").strip()
    for candidate in formats.get_format(kind):  # Django appends the ISO formats itself
        try:
            return datetime.strptime(text, candidate)
        except ValueError:
            continue
    if kind == DATETIME_INPUTS:
        try:
            moment = datetime.fromisoformat(text)  # 2026-12-05T20:53, and with an offset
        except ValueError:
            return None
        return moment
    return None


class LocalDateInput(forms.DateInput):
    """A text input with a date as the language writes it; the placeholder shows how."""

    input_type = "text"

    def format_value(self, value):
        # A day sent as ISO (a link) is shown the language's way; anything else as typed.
        if isinstance(value, str) and (day := parse_input(value, DATE_INPUTS)) is not None \
                and in_range(day):
            return input_value(day, DATE_INPUTS)
        return super().format_value(value)

    def hint(self) -> str:
        """Return how to type a date here, in the active language ("TT.MM.JJJJ")."""
        return input_hint(DATE_INPUTS)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", self.hint())
        context["widget"]["attrs"].setdefault("autocomplete", "off")
        return context


class LocalDateTimeInput(forms.DateTimeInput):
    """A text input with a date and time as the language writes it (seconds if asked)."""

    input_type = "text"

    def __init__(self, attrs=None, *, seconds: bool = False):
        super().__init__(attrs)
        self.seconds = seconds

    def format_value(self, value):
        # A moment sent as ISO is shown the language's way; anything else (out of the range
        # too: strftime cannot write every year) as typed.
        if isinstance(value, str) and (parsed := parse_input(value)) is not None \
                and in_range(parsed):
            value = parsed
        if isinstance(value, datetime):
            return input_value(value, seconds=self.seconds)
        return super().format_value(value)

    def hint(self) -> str:
        """Return how to type a moment here, in the active language ("TT.MM.JJJJ HH:MM")."""
        return input_hint(seconds=self.seconds)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["attrs"].setdefault("placeholder", self.hint())
        context["widget"]["attrs"].setdefault("autocomplete", "off")
        return context


def _range_message() -> str:
    return _("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": formats.date_format(EARLIEST_DATE, "SHORT_DATE_FORMAT"),
        "latest": formats.date_format(LATEST_DATE, "SHORT_DATE_FORMAT")}


range_message = lazy(_range_message, str)  # in the language of the page that shows it


class DayField(forms.DateField):
    """A day, typed as the language writes it (or ISO), limited to the range, saying so."""

    def __init__(self, **kwargs):
        message = range_message()
        kwargs.setdefault("widget", LocalDateInput())
        kwargs.setdefault("validators", [MinValueValidator(EARLIEST_DATE, message),
                                         MaxValueValidator(LATEST_DATE, message)])
        super().__init__(**kwargs)


class MomentField(forms.DateTimeField):
    """A wall-clock date and time, typed as the language writes it (or ISO 8601), within
    the range; its value is naive.

    Django's DateTimeField would read it in the current zone at once, and refuse the
    autumn hour that happens twice; the form reads it with `occurrences` instead and asks
    which one was meant. Aware datetimes (initial values) pass through unchanged.
    """

    def __init__(self, *, seconds: bool = False, **kwargs):
        kwargs.setdefault("widget", LocalDateTimeInput(seconds=seconds))
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value
        moment = parse_input(str(value))
        if moment is None:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
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


def existing_occurrences(wall: datetime, zone: tzinfo) -> list[datetime]:
    """`occurrences` of a time a person typed, one or two; a time the clocks skip in `zone`
    is refused (ValidationError) with what happened to it, as every form's time field says."""
    found = occurrences(wall, zone)
    if not found:
        raise ValidationError(_(
            "%(time)s does not exist in %(zone)s: the clocks are put forward over it "
            "on that day. Enter the time as the clocks showed it.") % {
            "time": wall.strftime("%Y-%m-%d %H:%M"), "zone": zone}, code="skipped")
    return found


def local_time(moment: datetime) -> str:
    """Return `moment` in the user's zone as the app writes times: "2025-03-04 16:05 CET",
    in German "04.03.2025 16:05 CET" (SHORT_DATETIME_FORMAT and the zone's abbreviation).
    """
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'SHORT_DATETIME_FORMAT')} {local.tzname()}"
