"""Numbers and dates as each language writes them, times in the user's zone."""

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation

from audit.recording import record
from config.testing import make_user
from preferences import services

# 16:30:05 UTC on a winter day is 17:30:05 in Berlin (CET).
MOMENT = datetime(2026, 11, 29, 16, 30, 5, tzinfo=UTC)


def render(source: str, language: str, **context) -> str:
    with translation.override(language), timezone.override(ZoneInfo("Europe/Berlin")):
        return Template(source).render(Context(context))


@pytest.mark.parametrize(("language", "expected"), [
    ("de", "12.345,6 km · 1.234.567 · 0,5"),
    ("en", "12,345.6 km · 1,234,567 · 0.5"),
])
def test_quantities_are_grouped_as_the_language_writes_them(language, expected):
    source = '{{ km|floatformat:"1g" }} km · {{ big|floatformat:"0g" }} · {{ half }}'
    assert render(source, language, km=12345.6, big=1234567, half=0.5) == expected


def test_ids_are_never_grouped():
    # USE_THOUSAND_SEPARATOR stays off: ids go into attributes, URLs and hidden inputs.
    assert render('<input value="{{ id }}">', "de", id=1001) == '<input value="1001">'


@pytest.mark.parametrize(("language", "short", "full", "date"), [
    ("de", "29.11.2026 17:30", "29.11.2026 17:30:05", "29.11.2026"),
    ("en", "2026-11-29 17:30", "2026-11-29 17:30:05", "2026-11-29"),
])
def test_dates_in_the_users_zone_as_the_language_writes_them(language, short, full, date):
    source = ('{{ t|date:"SHORT_DATETIME_FORMAT" }}|{{ t|date:"DATETIME_FORMAT" }}|'
              '{{ t|date:"SHORT_DATE_FORMAT" }}|{{ t|date:"T" }}')
    assert render(source, language, t=MOMENT) == f"{short}|{full}|{date}|CET"


@pytest.mark.django_db
def test_the_audit_log_in_german_shows_german_dates_and_reads_iso_links(client,
                                                                               flinkey_api):
    user = make_user("kim")
    services.save_preferences(user=user, language="de")
    record(user=user, action="car.update", changes={})
    client.force_login(user)
    page = client.get(reverse("audit"), {"since": "2026-01-31"}).content.decode()
    assert "Audit-Log" in page
    local = timezone.localtime(timezone.now(), ZoneInfo("Europe/Berlin"))
    assert f">{local:%d.%m.%Y} " in page
    # A link's ISO day is read, and shown as German writes it, with a German placeholder.
    field = re.search(r'<input [^>]*name="since"[^>]*>', page).group(0)
    assert 'type="text"' in field and 'value="31.01.2026"' in field, field
    assert 'placeholder="TT.MM.JJJJ"' in field, field


@pytest.mark.parametrize(("language", "expected"), [
    ("de", "Sonntag, 29. November 2026"),
    ("en", "Sunday, 29 November 2026"),
])
def test_the_long_date_is_a_named_format_of_each_language(language, expected):
    assert render('{{ t|date:"DATE_FORMAT" }}', language, t=MOMENT) == expected
