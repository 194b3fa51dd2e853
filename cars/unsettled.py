"""Writes that got no answer: remembered per person, said on the car's next screens.

A PATCH, DELETE or PUT (an event recorded) that timed out may still be applied by flinkey
a moment later, after the person has moved on; when they open that car again (its page,
its edit form, its timeline, the event form) they are told so. A car created without an
answer has no id yet: that note is the person's own and shows on the car list and the
new-car form. Kept in the shared cache, not the session: Django does not save a session
with a 5xx answer, and a timeout is one (504).
"""

import json
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

# Long after any write flinkey still works on; the note stops then.
KEEP = timedelta(minutes=30)
# What the unanswered write was: a change to the car's fields, an event recorded for it.
CHANGE, EVENT = "change", "event"


def _key(request, car_id: int) -> str:
    return f"unsettled-car-write:{request.user.pk}:{int(car_id)}"


def _create_key(request) -> str:
    return f"unsettled-car-create:{request.user.pk}"


def remember(request, *, car_id: int, problem, what: str = CHANGE) -> None:
    """Note a write to `car_id` whose outcome is unknown (nothing for other problems)."""
    if problem.outcome_unknown:
        value = json.dumps({"at": timezone.now().isoformat(), "what": what})
        cache.set(_key(request, car_id), value, KEEP.total_seconds())


def forget(request, *, car_id: int) -> None:
    """A later write to the car was answered: the note is no longer needed."""
    cache.delete(_key(request, car_id))


def _read(value) -> tuple[datetime, str]:
    try:
        data = json.loads(value)
    except ValueError:
        data = {"at": value}  # a note written before notes said what they were about
    if not isinstance(data, dict):
        data = {"at": value}
    return timezone.localtime(datetime.fromisoformat(data["at"])), data.get("what", CHANGE)


def note(request, *, car_id: int) -> str | None:
    """Return the warning for `car_id`'s screens, or None."""
    value = cache.get(_key(request, car_id))
    if value is None:
        return None
    moment, what = _read(value)
    if what == EVENT:
        return _("The event you recorded for this car at %(time)s got no answer from "
                 "flinkey. It may have been recorded after all: look for it in the timeline "
                 "before you record it again.") % {"time": time_format(moment, "H:i")}
    return _("Your change to this car at %(time)s got no answer from flinkey. It may have "
             "been applied after all: check the values before you change them again.") % {
        "time": time_format(moment, "H:i")}


def remember_create(request, *, name: str, problem) -> None:
    """Note a new car whose creation got no answer (nothing for other problems)."""
    if problem.outcome_unknown:
        value = json.dumps({"at": timezone.now().isoformat(), "name": name})
        cache.set(_create_key(request), value, KEEP.total_seconds())


def forget_create(request) -> None:
    """A later creation was answered: the person has seen the list since."""
    cache.delete(_create_key(request))


def create_note(request) -> str | None:
    """Return the warning for the car list and the new-car form, or None."""
    value = cache.get(_create_key(request))
    if value is None:
        return None
    data = json.loads(value)
    moment = timezone.localtime(datetime.fromisoformat(data["at"]))
    return _("The car “%(name)s” you created at %(time)s got no answer from flinkey. It may "
             "have been created after all: look for it in the list before you create it "
             "again.") % {"name": data["name"], "time": time_format(moment, "H:i")}
