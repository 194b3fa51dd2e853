"""The German catalogue read without a library: its entries, their translations and flags.

Used by the translation tests and the German browser walk. Knows the parts of the .po format
that makemessages writes: msgctxt, msgid, msgid_plural, msgstr[n], "#," flags, "#~" obsolete.
"""

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GERMAN = ROOT / "locale" / "de" / "LC_MESSAGES" / "django.po"

_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?)\s+(".*")$')


@dataclass
class Entry:
    msgid: str = ""
    msgctxt: str | None = None
    msgid_plural: str | None = None
    msgstr: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str, str | None]:
        """What identifies the message: context, English text, English plural."""
        return (self.msgctxt, self.msgid, self.msgid_plural)

    @property
    def fuzzy(self) -> bool:
        return "fuzzy" in self.flags

    @property
    def translated(self) -> bool:
        return bool(self.msgstr) and all(self.msgstr)


def _unquote(literal: str) -> str:
    return ast.literal_eval(literal)  # PO strings are C-like: \" \\ \n \t


def parse(text: str) -> list[Entry]:
    """Return the entries of a .po text, the header (msgid "") left out."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        entry, current = Entry(), None
        for raw in block.splitlines():
            line = raw
            if line.startswith("#~"):
                entry.obsolete = True
                line = line[2:].strip()
            if line.startswith("#,"):
                entry.flags.update(flag.strip() for flag in line[2:].split(","))
                continue
            if line.startswith("#") or not line.strip():
                continue
            match = _KEYWORD.match(line)
            if match:
                current = match.group(1)
                value = _unquote(match.group(2))
                if current.startswith("msgstr"):
                    entry.msgstr.append(value)
                else:
                    setattr(entry, current, value)
            elif line.startswith('"') and current:
                value = _unquote(line)
                if current.startswith("msgstr"):
                    entry.msgstr[-1] += value
                else:
                    setattr(entry, current, getattr(entry, current) + value)
        if entry.msgid or entry.msgctxt:
            entries.append(entry)
    return entries


def read(path: Path = GERMAN) -> list[Entry]:
    """Return the live entries (obsolete ones left out) of the catalogue at `path`."""
    return [entry for entry in parse(path.read_text(encoding="utf-8")) if not entry.obsolete]
