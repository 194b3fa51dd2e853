"""How long ago / for how long / how far ahead, with German's own grammar (dative plurals)."""

from datetime import UTC, datetime, timedelta

import pytest
from django.template import Context, Template
from django.utils import translation

from fleetadmin.web.durations import ago_text, for_text, in_text

NOW = datetime(2026, 12, 5, 20, 53, tzinfo=UTC)


@pytest.mark.parametrize(("span", "de", "en"), [
    (timedelta(days=1), "vor 1 Tag", "1 day ago"),
    (timedelta(days=2, hours=5), "vor 2 Tagen", "2 days ago"),
    (timedelta(days=65), "vor 2 Monaten", "2 months ago"),
    (timedelta(days=800), "vor 2 Jahren", "2 years ago"),
    (timedelta(hours=1), "vor 1 Stunde", "1 hour ago"),
    (timedelta(minutes=12), "vor 12 Minuten", "12 minutes ago"),
    (timedelta(seconds=20), "gerade eben", "just now"),
])
def test_ago(span, de, en):
    for language, expected in (("de", de), ("en", en)):
        with translation.override(language):
            assert ago_text(NOW - span, NOW).replace("\xa0", " ") == expected


@pytest.mark.parametrize(("span", "de", "en"), [
    (timedelta(days=2, hours=3), "seit 2 Tagen", "2 days"),
    (timedelta(days=1, hours=3), "seit 1 Tag", "1 day"),
    (timedelta(hours=13), "seit 13 Stunden", "13 hours"),
    (timedelta(days=400), "seit 1 Jahr", "1 year"),
])
def test_open_for(span, de, en):
    for language, expected in (("de", de), ("en", en)):
        with translation.override(language):
            assert for_text(NOW - span, NOW).replace("\xa0", " ") == expected


def test_ahead():
    with translation.override("de"):
        assert in_text(NOW + timedelta(days=3, hours=1), NOW).replace("\xa0", " ") == "in 3 Tagen"
    with translation.override("en"):
        assert in_text(NOW + timedelta(days=1, hours=1), NOW).replace("\xa0", " ") == "in 1 day"


def test_the_filters_say_the_same_in_templates():
    source = "{% load durations %}{{ t|ago:now }}|{{ t|open_for:now }}|{{ later|ahead:now }}"
    with translation.override("de"):
        text = Template(source).render(Context({
            "t": NOW - timedelta(days=2), "later": NOW + timedelta(days=2), "now": NOW}))
    assert text.replace("\xa0", " ") == "vor 2 Tagen|seit 2 Tagen|in 2 Tagen"
