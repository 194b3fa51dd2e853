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
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "fleetadmin.settings"}
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
