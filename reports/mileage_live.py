"""The mileage report's live part (issue 21): the odometer flinkey has for the moments the
fleet store cannot tell, at most 2 calls per car (one per edge of the period it lacks).

flinkey has no odometer history call; a car's location at a past moment
(`/cars/{id}/location/{searchDate}`: the sample nearest to it) carries the odometer and
when it was read, as the map's "past moment" and routes ask it (maps.services). A period
that has not ended asks the latest location instead. The calls go through the fan-out (the
user's own credentials, the request's time budget, the cache shared with the maps), and
each answer with its recorded time is written back into the store as a sample, so the next
report needs no call for it.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext

from fleetadmin.upstream.reach import prove
from fleetstore.services import learnt_live
from maps.services import FAILED, NO_DEVICE, Position, positions_at
from reports.mileage import Mileage, Reading


@dataclass(frozen=True)
class Answer:
    """What flinkey said about one car: its readings at the edges asked, or why none."""

    car_id: int
    start: Reading | None = None
    end: Reading | None = None
    error: BaseException | None = None  # the first failed call's error
    no_iq: bool = False  # flinkey: no products (no flinkey IQ to read an odometer from)


def end_moment(end: datetime, now: datetime | None = None) -> datetime | None:
    """The moment to ask for the period's end: None (the latest) while it has not come."""
    return None if end > (now or timezone.now()) else end


def ask(*, user, items: list[Mileage], start: datetime, end: datetime,
        timeout: float | None = None) -> tuple[dict[int, Answer], int]:
    """Return ({car id: Answer}, upstream calls made) for the edges `items` miss.

    Raises what `prove` raises (SetupNeeded, FlinkeyError); a failed car is an Answer with
    its error, the others are unaffected.
    """
    at_end = end_moment(end)
    keys = []
    for item in items:
        if item.missing_start:
            keys.append((item.car_id, start))
        if item.missing_end:
            keys.append((item.car_id, at_end))
    if not keys:
        return {}, 0
    proof = prove(user)
    found, calls = positions_at(user=user, keys=keys, proof=proof, timeout=timeout)
    answers = {}
    for item in items:
        first = found.get((item.car_id, start)) if item.missing_start else None
        last = found.get((item.car_id, at_end)) if item.missing_end else None
        asked = [position for position in (first, last) if position is not None]
        failed = next((p.error for p in asked if p.state == FAILED), None)
        if failed is not None:
            answers[item.car_id] = Answer(item.car_id, error=failed)
            continue
        if any(position.state == NO_DEVICE for position in asked):
            answers[item.car_id] = Answer(item.car_id, no_iq=True)
            continue
        for position in asked:
            _keep(proof.fleet.customer_id, position)
        answers[item.car_id] = Answer(item.car_id, _reading_of(first), _reading_of(last))
    return answers, calls


def _reading_of(position: Position | None) -> Reading | None:
    location = position.location if position is not None else None
    if location is None or location.odometer is None:
        return None
    at = location.odometer_recorded_at or location.recorded_at
    return Reading(location.odometer, at) if at is not None else None


def _keep(customer_id: int, position: Position) -> None:
    """Write a recorded sample (one with its time) back into the store."""
    location = position.location
    if location is None or (location.recorded_at or location.odometer_recorded_at) is None:
        return  # nothing recorded: no sample to keep
    learnt_live(customer_id=customer_id, car_id=position.car_id, location=location,
                past=position.asked_at is not None)


def row_of(item: Mileage, answer: Answer) -> tuple:
    """The report's row: the store's readings where it knows them, flinkey's elsewhere."""
    start = answer.start if item.missing_start else item.start
    end = answer.end if item.missing_end else item.end
    merged = Mileage(item.car_id, item.name, item.license_plate, start, end)
    return merged.row(source_text(item, answer))


def source_text(item: Mileage, answer: Answer) -> str:
    """Where the row's readings came from, in words."""
    if answer.no_iq:
        return gettext("flinkey: no flinkey IQ")
    if item.missing_start and item.missing_end:
        return gettext("flinkey (asked live)")
    if item.missing_start:
        return gettext("start from flinkey (asked live), end from the fleet store")
    return gettext("start from the fleet store, end from flinkey (asked live)")
