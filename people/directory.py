"""The people of the user's fleet as one dict: the screens look names up in it, row by row.

One query per page, never one per row. The fleet is the one the user's own credentials
reach now (`fleetadmin.upstream.reach.proven_fleet`): a person entry of one fleet never shows in
another. When that cannot be proven (no credentials, flinkey refusing or away) the
directory is empty and the screens show the bare ids, as they did before there was one.
"""

from __future__ import annotations

import logging

from fleetadmin.upstream.clients import SetupNeeded
from fleetadmin.upstream.reach import Fleet, proven_fleet
from flinkey import FlinkeyError
from people.models import Person

log = logging.getLogger(__name__)


class Ambiguous(ValueError):
    """Several people of the fleet have this name."""


class Directory:
    """flinkey user id → Person for one fleet (or none: `fleet` is None, nothing is known)."""

    def __init__(self, fleet: Fleet | None, people: dict[int, Person] | None = None):
        self.fleet = fleet
        self.people = people or {}
        counts: dict[str, int] = {}
        for person in self.people.values():
            key = person.name.casefold()
            counts[key] = counts.get(key, 0) + 1
        self._name_counts = counts

    def __bool__(self) -> bool:
        return bool(self.people)

    def __len__(self) -> int:
        return len(self.people)

    def get(self, user_id) -> Person | None:
        """The person with this flinkey user id, or None."""
        if user_id is None:
            return None
        try:
            return self.people.get(int(user_id))
        except (TypeError, ValueError):
            return None

    def name_is_unique(self, name: str) -> bool:
        return self._name_counts.get(name.casefold(), 0) == 1

    def user_id_named(self, name: str) -> int | None:
        """The user id of the one person called `name` (case ignored), None if nobody is.

        Raises Ambiguous when several people share the name.
        """
        key = name.strip().casefold()
        found = [person.flinkey_user_id for person in self.people.values()
                 if person.name.casefold() == key]
        if len(found) > 1:
            raise Ambiguous(name)
        return found[0] if found else None

    def by_name(self) -> list[Person]:
        return sorted(self.people.values(), key=lambda p: (p.name.casefold(), p.flinkey_user_id))


def directory_of(fleet: Fleet) -> Directory:
    """The fleet's people (one query)."""
    return Directory(fleet, {person.flinkey_user_id: person
                             for person in Person.objects.of_fleet(fleet)})


def directory_for(user) -> Directory:
    """The people of the fleet `user`'s credentials reach; empty when that is not proven."""
    try:
        fleet = proven_fleet(user)
    except (SetupNeeded, FlinkeyError) as error:
        # The screen shows this failure itself (its own flinkey call fails the same way).
        log.info("people directory not shown: %s", type(error).__name__)
        return Directory(None)
    return directory_of(fleet)
