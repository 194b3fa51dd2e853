"""Date inputs written and read as the user's language writes them, ISO accepted too."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from fleetadmin.web.dates import (
    DayField,
    LocalDateTimeInput,
    existing_occurrences,
    input_hint,
    parse_input,
)


class Days(forms.Form):
    since = DayField(required=False)


@pytest.mark.parametrize(("language", "hint", "day_hint"), [
    ("de", "TT.MM.JJJJ HH:MM", "TT.MM.JJJJ"),
    ("en", "YYYY-MM-DD HH:MM", "YYYY-MM-DD"),
])
def test_the_placeholder_says_the_languages_format(language, hint, day_hint):
    with translation.override(language):
        assert input_hint() == hint
        assert input_hint("DATE_INPUT_FORMATS") == day_hint


@pytest.mark.parametrize("typed", ["05.12.2026", "2026-12-05"])
def test_a_german_day_field_reads_german_and_iso(typed):
    with translation.override("de"):
        form = Days({"since": typed})
        assert form.is_valid(), form.errors
        assert form.cleaned_data["since"] == date(2026, 12, 5)
        assert 'value="05.12.2026"' in str(form["since"])


def test_a_bad_day_keeps_what_was_typed_and_says_so_in_german():
    with translation.override("de"):
        form = Days({"since": "31.02.2026"})
        assert not form.is_valid()
        assert 'value="31.02.2026"' in str(form["since"])
        assert "Bitte ein gültiges Datum eingeben." in str(form.errors)
        far = Days({"since": "01.01.3000"})
        assert not far.is_valid()
        assert "01.01.1900" in str(far.errors) and "31.12.2999" in str(far.errors)


@pytest.mark.parametrize(("language", "typed"), [
    ("de", "05.12.2026 20:53"), ("de", "2026-12-05T20:53"), ("de", "2026-12-05 20:53"),
    ("en", "2026-12-05 20:53"), ("en", "2026-12-05T20:53:00"),
])
def test_moments_read_the_languages_way_and_iso(language, typed):
    with translation.override(language):
        assert parse_input(typed) == datetime(2026, 12, 5, 20, 53)


def test_an_english_page_does_not_read_a_german_date_as_something_else():
    with translation.override("en"):
        assert parse_input("05.12.2026 20:53") is None


def test_the_moment_widget_writes_seconds_when_asked():
    widget = LocalDateTimeInput(seconds=True)
    with translation.override("de"):
        html = widget.render("moment", datetime(2026, 12, 5, 20, 53, 7))
    assert 'type="text"' in html and 'value="05.12.2026 20:53:07"' in html
    assert 'placeholder="TT.MM.JJJJ HH:MM:SS"' in html


def test_a_time_the_clocks_skip_is_refused_saying_so_in_the_users_language():
    """The one sentence every form's time field gives (events' new event, reports' who had)."""
    berlin = ZoneInfo("Europe/Berlin")
    assert len(existing_occurrences(datetime(2026, 10, 25, 2, 30), berlin)) == 2
    assert len(existing_occurrences(datetime(2026, 3, 29, 3, 30), berlin)) == 1
    for language, words in (("en", "2026-03-29 02:30 does not exist in Europe/Berlin: the "
                                    "clocks are put forward over it"),
                            ("de", "2026-03-29 02:30 gibt es in Europe/Berlin nicht")):
        with translation.override(language), pytest.raises(ValidationError) as refused:
            existing_occurrences(datetime(2026, 3, 29, 2, 30), berlin)
        assert refused.value.code == "skipped"
        assert words in refused.value.messages[0]
