"""Importing people from a CSV file: read, plan (what each line would do and why), apply.

A file is taken whole or not at all: one rejected line and nothing is kept, and the preview
says which line and why. The header names the columns: `flinkey_user_id,name,email,department`
(`email` and `department` may be left out: a person's stored value then stays), UTF-8 with
or without BOM, `,` or `;` separated.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from people.models import MAX_USER_ID, Person

COLUMNS = ("flinkey_user_id", "name", "email", "department")
REQUIRED = ("flinkey_user_id", "name")
MAX_BYTES = 1_000_000
MAX_LINES = 5_000
MAX_NAME = 200

CREATE, UPDATE, UNCHANGED, REJECT = "create", "update", "unchanged", "reject"


class FileRefused(ValueError):
    """The file as a whole cannot be read (encoding, header, size); the message says why."""


@dataclass
class Line:
    """One data line of the file and what importing it would do."""

    number: int  # the line number in the file (the header is line 1)
    values: dict
    action: str = CREATE
    reasons: list[str] = field(default_factory=list)
    before: dict | None = None

    @property
    def user_id(self):
        return self.values.get("flinkey_user_id")


@dataclass
class Plan:
    lines: list[Line]

    def count(self, action: str) -> int:
        return sum(1 for line in self.lines if line.action == action)

    @property
    def rejected(self) -> list[Line]:
        return [line for line in self.lines if line.action == REJECT]

    @property
    def acceptable(self) -> bool:
        """True when the file may be imported: no rejected line and something to do."""
        return not self.rejected and any(line.action in (CREATE, UPDATE) for line in self.lines)


def decode(data: bytes) -> str:
    """The file's text: UTF-8, a BOM dropped; anything else is refused."""
    if len(data) > MAX_BYTES:
        raise FileRefused(_("The file is larger than %(size)s. Split it into smaller files.")
                          % {"size": "1 MB"})
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[:error.start].count(b"\n") + 1
        raise FileRefused(_("Line %(line)s is not UTF-8 text. Save the file as “CSV UTF-8” "
                            "and try again.") % {"line": line}) from None


def _delimiter(header_line: str) -> str:
    # Spreadsheets in German save with ";"; the header alone tells which one this file uses.
    return ";" if header_line.count(";") > header_line.count(",") else ","


def plan(text: str, existing: dict[int, Person]) -> Plan:
    """Read `text` and say per line what it would create, update or why it is rejected."""
    text = text.lstrip("\ufeff")
    first = text.split("\n", 1)[0]
    if not first.strip():
        raise FileRefused(_("The file is empty or its first line is blank: the first line "
                            "must name the columns: %(columns)s.") % {"columns": ",".join(COLUMNS)})
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        raise FileRefused(_("Line 1 cannot be read: %(reason)s") % {"reason": error}) from None
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if unknown or missing or repeated:
        raise FileRefused(_("Line 1 must name the columns %(columns)s (email and department "
                            "may be left out); this file's first line has: %(found)s.")
                          % {"columns": ",".join(COLUMNS), "found": ",".join(header)})
    lines: list[Line] = []
    seen: dict[int, int] = {}
    try:
        for cells in reader:
            number = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue  # blank lines (often the last) are nobody
            if len(lines) >= MAX_LINES:
                raise FileRefused(_("The file has more than %(count)s people. Split it into "
                                    "smaller files.") % {"count": MAX_LINES})
            lines.append(_line(number, header, cells, existing, seen))
    except csv.Error as error:
        raise FileRefused(_("Line %(line)s cannot be read: %(reason)s")
                          % {"line": reader.line_num, "reason": error}) from None
    if not lines:
        raise FileRefused(_("The file names its columns but has no people."))
    return Plan(lines)


def _line(number: int, header: list[str], cells: list[str], existing: dict[int, Person],
          seen: dict[int, int]) -> Line:
    raw = {name: cell.strip() for name, cell in zip(header, cells, strict=False)}
    values = {"flinkey_user_id": raw.get("flinkey_user_id", ""), "name": raw.get("name", ""),
              "email": raw.get("email", ""), "department": raw.get("department", "")}
    line = Line(number, values)
    reasons = line.reasons
    if len(cells) != len(header):
        reasons.append(_("it has %(found)s fields, the header %(expected)s")
                       % {"found": len(cells), "expected": len(header)})
    text_id = values["flinkey_user_id"]
    if not text_id.isdigit() or not 1 <= int(text_id) <= MAX_USER_ID:
        reasons.append(_("“%(value)s” is not a flinkey user id (a whole number from 1 to "
                         "%(max)s)") % {"value": text_id[:40], "max": MAX_USER_ID})
    else:
        user_id = values["flinkey_user_id"] = int(text_id)
        if user_id in seen:
            reasons.append(_("user id %(id)s is already on line %(line)s")
                           % {"id": user_id, "line": seen[user_id]})
        else:
            seen[user_id] = number
    if not values["name"]:
        reasons.append(_("the name is empty"))
    elif len(values["name"]) > MAX_NAME:
        reasons.append(_("the name is longer than %(max)s characters") % {"max": MAX_NAME})
    if len(values["department"]) > MAX_NAME:
        reasons.append(_("the department is longer than %(max)s characters") % {"max": MAX_NAME})
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            reasons.append(_("“%(value)s” is not an e-mail address")
                           % {"value": values["email"][:80]})
    if reasons:
        line.action = REJECT
        return line
    person = existing.get(values["flinkey_user_id"])
    if person is None:
        line.action = CREATE
    else:
        line.before = person.as_changes()
        # A column the file leaves out keeps what is stored.
        for column in COLUMNS:
            if column not in header:
                values[column] = line.before[column]
        line.action = UNCHANGED if line.before == values else UPDATE
    return line
