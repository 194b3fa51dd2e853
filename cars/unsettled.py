"""Writes to a car that got no answer: remembered per person, said on that car's next screens.

A PATCH or DELETE that timed out may still be applied by flinkey a moment later, after the
person has moved on; when they open that car again they are told so. Kept in the shared
cache, not the session: Django does not save a session with a 5xx answer, and a timeout is
one (504).
"""

from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _

# Long after any write flinkey still works on; the note stops then.
KEEP = timedelta(minutes=30)


def _key(request, car_id: int) -> str:
    return f"unsettled-car-write:{request.user.pk}:{int(car_id)}"


def remember(request, *, car_id: int, problem) -> None:
    """Note a write to `car_id` whose outcome is unknown (nothing for other problems)."""
    if problem.outcome_unknown:
        cache.set(_key(request, car_id), timezone.now().isoformat(), KEEP.total_seconds())


def forget(request, *, car_id: int) -> None:
    """A later write to the car was answered: the note is no longer needed."""
    cache.delete(_key(request, car_id))


def note(request, *, car_id: int) -> str | None:
    """Return the warning for `car_id`'s screens, or None."""
    sent = cache.get(_key(request, car_id))
    if sent is None:
        return None
    moment = timezone.localtime(datetime.fromisoformat(sent))
    return _("Your change to this car at %(time)s got no answer from flinkey. It may have "
             "been applied after all: check the values before you change them again.") % {
        "time": time_format(moment, "H:i")}
