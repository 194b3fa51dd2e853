"""Every change to the people directory, each in one transaction with its audit entry."""

from django.db import IntegrityError, transaction

from audit.recording import field_changes, record
from fleetadmin.upstream.reach import Fleet
from people.csv_import import CREATE, UPDATE, Plan
from people.directory import directory_of
from people.models import Person


class ChangedMeanwhile(Exception):
    """Someone else changed the same people between the preview and the import."""


def _target(user_id: int) -> str:
    return f"flinkey user {user_id}"


def save_person(*, by, fleet: Fleet, person: Person, before: dict | None) -> Person:
    """Store a new (`before` None) or changed person of `fleet`, audited."""
    person.api_url, person.customer_id = fleet.api_url, fleet.customer_id
    with transaction.atomic():
        person.save()
        if before is None:
            record(user=by, action="person.create", customer_id=fleet.customer_id,
                   target=_target(person.flinkey_user_id), changes=person.as_changes())
        else:
            changes = field_changes(before, person.as_changes())
            if changes:
                record(user=by, action="person.update", customer_id=fleet.customer_id,
                       target=_target(person.flinkey_user_id), changes=changes)
    return person


def delete_person(*, by, fleet: Fleet, person: Person) -> None:
    """Remove a person of `fleet` from the directory, audited."""
    if (person.api_url, person.customer_id) != (fleet.api_url, fleet.customer_id):
        raise PermissionError("This person belongs to another fleet.")
    with transaction.atomic():
        changes = person.as_changes()
        person.delete()
        record(user=by, action="person.delete", customer_id=fleet.customer_id,
               target=_target(changes["flinkey_user_id"]), changes=changes)


def import_plan(*, by, fleet: Fleet, text: str, plan_of) -> dict:
    """Import a CSV whose preview was accepted: all of it or nothing.

    The file is planned again against the directory as it is now (`plan_of(text, existing)`);
    when that differs from what was shown (someone changed the same people meanwhile)
    ChangedMeanwhile is raised and nothing is kept. Returns the counts.
    """
    try:
        with transaction.atomic():
            # Lock the fleet's rows: two imports at once wait for each other.
            list(Person.objects.of_fleet(fleet).select_for_update())
            plan: Plan = plan_of(text, directory_of(fleet).people)
            if not plan.acceptable:
                raise ChangedMeanwhile
            existing = directory_of(fleet).people
            for line in plan.lines:
                if line.action == CREATE:
                    person = Person(api_url=fleet.api_url, customer_id=fleet.customer_id,
                                    **line.values)
                    person.save()
                    record(user=by, action="person.create", customer_id=fleet.customer_id,
                           target=_target(person.flinkey_user_id),
                           changes={**person.as_changes(), "source": "CSV"})
                elif line.action == UPDATE:
                    person = existing[line.user_id]
                    for name, value in line.values.items():
                        setattr(person, name, value)
                    person.save()
                    record(user=by, action="person.update", customer_id=fleet.customer_id,
                           target=_target(person.flinkey_user_id),
                           changes={**field_changes(line.before, line.values), "source": "CSV"})
            counts = {"created": plan.count(CREATE), "updated": plan.count(UPDATE),
                      "unchanged": plan.count("unchanged")}
            record(user=by, action="person.import", customer_id=fleet.customer_id,
                   changes=counts)
    except IntegrityError:
        # Another import created one of these ids after the plan was made.
        raise ChangedMeanwhile from None
    return counts
