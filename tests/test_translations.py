"""The German catalogue is complete and up to date with the source.

(a) every message of ours has a German translation, none fuzzy, placeholders kept;
(b) `manage.py makemessages -l de` on a copy of the tree finds no message the catalogue lacks
    and none it no longer needs (the header and the file references are not compared).
"""

import gettext
import os
import re
import shutil
import subprocess
import sys

import pytest

from tests.catalogue import GERMAN, ROOT, parse, read

# %(name)s, %(count)d, %s ... as Python formats them.
PLACEHOLDER = re.compile(r"%(?:\([^)]+\))?[-#0 +]*\d*(?:\.\d+)?[sdifr%]")


def test_the_catalogue_exists_and_has_our_messages():
    entries = read()
    assert len(entries) > 200, f"{GERMAN} looks empty or unreadable"


def test_every_message_has_a_german_translation_and_none_is_fuzzy():
    missing = [entry.msgid for entry in read() if not entry.translated]
    fuzzy = [entry.msgid for entry in read() if entry.fuzzy]
    assert missing == [], (f"{len(missing)} messages have no German translation in "
                           f"{GERMAN.relative_to(ROOT)}: {missing[:10]}")
    assert fuzzy == [], (f"{len(fuzzy)} German translations are marked fuzzy (a guess by "
                         f"msgmerge; check each and remove the flag): {fuzzy[:10]}")


def test_translations_keep_every_placeholder():
    wrong = []
    for entry in read():
        if "python-format" not in entry.flags:
            continue
        wanted = sorted(PLACEHOLDER.findall(entry.msgid))
        wrong += [(entry.msgid, text) for text in entry.msgstr
                  if sorted(PLACEHOLDER.findall(text)) != wanted]
    assert wrong == []


def test_the_parser_reads_context_plurals_flags_and_obsolete_entries():
    entries = parse('msgid ""\nmsgstr ""\n"Language: de\\n"\n\n'
                    '#, fuzzy, python-format\nmsgctxt "c"\nmsgid "a %(n)s"\nmsgid_plural ""\n'
                    '"many"\nmsgstr[0] "ein"\nmsgstr[1] ""\n\n#~ msgid "gone"\n#~ msgstr "weg"\n')
    first, gone = entries
    assert first.key == ("c", "a %(n)s", "many")
    assert (first.fuzzy, first.translated, first.msgstr) == (True, False, ["ein", ""])
    assert gone.obsolete and gone.msgid == "gone"


def _copy_of_the_tree(target):
    shutil.copytree(ROOT, target, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "staticfiles", "var", "node_modules", "test-results",
        "*.sqlite3", "*.sqlite3_gw*", ".pytest_cache", ".ruff_cache", ".hypothesis", "*.mo"))


@pytest.mark.slow  # copies the tree and runs xgettext over it
def test_makemessages_finds_nothing_new(tmp_path):
    copy = tmp_path / "tree"
    _copy_of_the_tree(copy)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    env.setdefault("DJANGO_SECRET_KEY", "only-for-makemessages")
    result = subprocess.run(  # noqa: S603 - our own manage.py
        [sys.executable, "manage.py", "makemessages", "-l", "de"],
        cwd=copy, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    fresh = {entry.key for entry in read(copy / GERMAN.relative_to(ROOT))}
    committed = {entry.key for entry in read()}
    new, gone = sorted(fresh - committed, key=str), sorted(committed - fresh, key=str)
    assert (new, gone) == ([], []), (
        "The German catalogue is out of date: run `manage.py makemessages -l de`, translate "
        f"the new entries, and commit locale/de. New: {[key[1] for key in new][:10]}; "
        f"no longer used: {[key[1] for key in gone][:10]}")


def test_the_compiled_catalogue_is_current():
    # Read with the standard library: what Django will show, compared with the .po.
    compiled = GERMAN.with_suffix(".mo")
    advice = (f"{compiled.relative_to(ROOT)} is missing or out of date: run "
              "scripts/setup (or `manage.py compilemessages`); German pages would show English")
    assert compiled.exists(), advice
    with compiled.open("rb") as file:
        catalog = gettext.GNUTranslations(file)._catalog
    stale = []
    for entry in read():
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        shown = ([catalog.get((key, n)) for n in range(len(entry.msgstr))]
                 if entry.msgid_plural is not None else [catalog.get(key)])
        if shown != entry.msgstr:
            stale.append(entry.msgid)
    assert stale == [], f"{advice}. Differs: {stale[:5]}"


# --- German pages write dates, numbers and durations the German way -----------------------
#
# The main screens rendered in German (the test client against the sandbox). Only what a
# person reads is searched: text, and the attributes read out or shown (title, aria-label,
# placeholder, alt, data-label); never machine places (datetime=, href, input values, JSON,
# scripts, <code>), where ISO 8601 belongs.

_READ_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "data-label"}
_GERMAN_MONTHS = ("Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|"
                  "Dezember")
ENGLISH_FORMATS = {
    "an ISO date": re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])"),
    "an English month": re.compile(
        r"\b(January|February|March|May|June|July|October|December)\b"),
    "an English weekday": re.compile(
        r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"),
    "AM/PM": re.compile(r"\b\d{1,2}(:\d\d)?\s?(AM|PM|a\.m\.|p\.m\.)(?!\w)"),
    "an English thousands separator": re.compile(r"(?<![\d.,])\d{1,3}(,\d{3})+(?![\d,])"),
    "a German date without the day's dot": re.compile(rf"\b\d{{1,2}} ({_GERMAN_MONTHS})\b"),
    "localized coordinates": re.compile(r"\b\d{1,3},\d{5}\b"),
    "a plural in the wrong case": re.compile(r"\b(vor|seit|in) \d+ (Tage|Monate|Jahre)\b"),
}


def visible_text(html: str) -> str:
    """What a person reads on the page (see above), one piece a line."""
    from html.parser import HTMLParser

    class Reader(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.parts, self.skipping = [], 0

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "style", "code", "template"):
                self.skipping += 1
            self.parts += [value for name, value in attrs if name in _READ_ATTRIBUTES and value]

        def handle_endtag(self, tag):
            if tag in ("script", "style", "code", "template") and self.skipping:
                self.skipping -= 1

        def handle_data(self, data):
            if not self.skipping:
                self.parts.append(data)

    reader = Reader()
    reader.feed(html)
    return "\n".join(reader.parts).replace("\xa0", " ")


def english_formats_in(text: str) -> list[str]:
    found = []
    for what, pattern in ENGLISH_FORMATS.items():
        found += [f"{what}: {match.group(0)!r}" for match in pattern.finditer(text)]
    return found


def test_the_format_check_finds_what_it_looks_for():
    text = visible_text(
        '<p title="Sunday">Geöffnet am 2026-12-05 20:53 · 1,062 Fahrzeuge · 3 PM · 5 Dezember '
        '2026 · 48,13710 · seit 2 Tage</p><time datetime="2026-12-05">05.12.2026</time>'
        '<input value="2026-12-05"><script>"2026-12-05"</script><code>2026-12-05</code>')
    assert [what.split(":")[0] for what in english_formats_in(text)] == [
        "an ISO date", "an English weekday", "AM/PM", "an English thousands separator",
        "a German date without the day's dot", "localized coordinates",
        "a plural in the wrong case"]
    assert english_formats_in(visible_text(
        "<p>Samstag, 5. Dezember 2026 · 05.12.2026 20:53 · 1.062 · 48.13710, 11.57500 · "
        "seit 2 Tagen · vor 1 Tag</p>")) == []


@pytest.mark.django_db
def test_german_screens_write_dates_numbers_and_durations_the_german_way(client, flinkey_api):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.access import ROLE_ADMIN
    from audit.recording import record
    from config.testing import hx, make_user
    from flinkey_sandbox import DEMO
    from maps.tests.batches import batch_of
    from preferences import services

    user = make_user("greta", role=ROLE_ADMIN)
    services.save_preferences(user=user, language="de", time_zone="Europe/Berlin")
    services.save_preferences(user=user, flinkey_user_id=DEMO.user_id)
    record(user=user, action="car.update", car_id=DEMO.car_id, customer_id=DEMO.customer_id,
           changes={"name": {"before": "Alt", "after": "Neu"}})
    client.force_login(user)
    car = DEMO.car_id

    def page(url, **options):
        response = client.get(url, **options)
        assert response.status_code == 200, (url, response.status_code)
        return response.content.decode()

    timeline = page(f"/cars/{car}/events/")
    event_ids = re.findall(r'href="/events/(\d+)/"', timeline)
    assert event_ids, "the demo car's timeline shows no event"
    # An event recorded by hand, typed the German way; its message names the day.
    moment = timezone.localtime() - timedelta(hours=1)
    recorded = client.post(f"/cars/{car}/events/new/", {
        "type": "opened", "moment": moment.strftime("%d.%m.%Y %H:%M:%S"),
        "user_id": str(DEMO.user_id), "latitude": "48.1374", "longitude": "11.5755"},
        follow=True)
    assert recorded.status_code == 200
    pages = {
        "home": page("/"),
        "cars": page("/cars/"),
        "car": page(f"/cars/{car}/"),
        "devices": page(f"/cars/{car}/products/"),
        "timeline": timeline,
        "event recorded": recorded.content.decode(),
        "event": page(f"/events/{event_ids[0]}/"),
        "left open": page("/left-open/?all=1&hours=1"),
        "car map": page(f"/cars/{car}/map/"),
        "car map at a moment": page(f"/cars/{car}/map/?at="
                                    + (timezone.now() - timedelta(days=1)).strftime(
                                        "%Y-%m-%dT%H:%M:%SZ")),
        "route": page(f"/cars/{car}/map/?period=7d"),
        "fleet map": page("/map/"),
        "audit": page("/audit/?since=2000-01-01"),
        "users": page("/users/"),
        "settings": page("/settings/"),
    }
    assert "Fahrzeuge" in pages["cars"] and 'lang="de"' in pages["cars"]
    assert "Das Ereignis wurde erfasst" in pages["event recorded"]
    # The fleet map's popups come as JSON; their texts are read too.
    batch = batch_of(client.get("/map/cars/", headers=hx("fleet-next")))
    pages["fleet map popups"] = "\n".join(
        str(value) for car_json in batch.get("cars", []) for key, value in car_json.items()
        if key in ("time", "age"))
    found = {name: english_formats_in(visible_text(html)) for name, html in pages.items()}
    assert {name: hits for name, hits in found.items() if hits} == {}
