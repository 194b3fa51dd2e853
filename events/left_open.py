"""The "left open" report: cars whose last event is an opening older than N hours.

No bulk call exists: it is one `$top=1` events call per car (newest first). A report run
checks the fleet in batches (the browser asks for the next batch), each batch one
`fleetadmin.upstream.fanout.fan_out_cached` (bounded concurrency, a deadline, partial results).

What is kept, and why it stays small:
- The car list (names, plates) is the fleet's one shared entry (`cars.fleet_list`), not a
  copy per run: a run keeps only its cars' ids (its order, fixed when it starts), one
  status byte per car (not asked, answered, failed) and, for the cars whose last event is
  an opening, that opening's moment and user. About 5 bytes a car instead of 0.9 KB.
- A person has at most MAX_RUNS runs per fleet (each page load starts one): a new run takes
  the slot of the oldest, so however often the page is loaded, a person's runs take at most
  MAX_RUNS entries (for RUN_SECONDS).
- Every batch first proves that the user's own credentials reach the fleet
  (`fleetadmin.upstream.reach`); runs are keyed by the user and that fleet, so nothing of a run is
  read with a refused password or after switching customer.

The run remembers which cars failed, so later batches do not silently retry them: the
person does, with "Check them again".
"""

import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from cars.fleet_list import fleet_cars
from events.services import NEWEST_FIRST
from fleetadmin.upstream.fanout import fan_out_cached
from fleetadmin.upstream.reach import Fleet, prove
from fleetadmin.web.problems import Problem, problem_of
from fleetstore import reads
from flinkey import Car, Event, Query

# Cars checked per request: with 8 at a time and 50 ms per call, under a second.
BATCH_SIZE = 100
# How long a run's answers are kept: long enough to go through a big fleet and retry.
RUN_SECONDS = 15 * 60
# Runs a person keeps per fleet at once (several tabs); a new one replaces the oldest.
MAX_RUNS = 3

# A run's status byte per car.
_NOT_ASKED, _ANSWERED, _FAILED = 0, 1, 2


def new_run() -> str:
    """Return the id of a new report run."""
    return secrets.token_urlsafe(9)


def valid_run(run: object) -> bool:
    """Return True for a run id as new_run makes them."""
    return isinstance(run, str) and 8 <= len(run) <= 24 and run.replace("-", "").replace(
        "_", "").isalnum()


@dataclass(frozen=True)
class Opening:
    """A car's last event when it is an opening: when, and by which flinkey user."""

    utc_date_time: datetime
    user_id: int | None
    type: str = Event.OPENED


@dataclass(frozen=True)
class CarState:
    """What a run knows about one car: its last event if an opening, or that asking failed."""

    car: Car
    event: Opening | None = None
    failed: bool = False
    checked: bool = True


@dataclass(frozen=True)
class Report:
    """The cars checked so far (in fleet order), how many there are, and the ones left open."""

    total: int
    states: list[CarState]
    # Why the latest car that failed failed (a refused token, a timeout...), in the words
    # a person is told; None when none failed or the run did not see why.
    failure: Problem | None = None

    @property
    def checked(self) -> int:
        """Return how many cars have been asked (answered or failed)."""
        return sum(1 for state in self.states if state.checked)

    @property
    def failed(self) -> int:
        """Return how many cars could not be checked."""
        return sum(1 for state in self.states if state.failed)

    @property
    def done(self) -> bool:
        """Return True when every car has been asked."""
        return self.checked >= self.total

    def left_open(self, *, hours: int, now: datetime) -> list[CarState]:
        """Return the cars opened and not closed for more than `hours`, longest open first."""
        limit = now - timedelta(hours=hours)
        found = [state for state in self.states
                 if state.event is not None and state.event.type == Event.OPENED
                 and state.event.utc_date_time < limit]
        return sorted(found, key=lambda state: (state.event.utc_date_time, state.car.id))


@dataclass(frozen=True)
class StoredReport(Report):
    """A report read from the store: every car checked, `states` only the cars left open."""

    @property
    def checked(self) -> int:
        """Return the fleet's size: the store answered for every car."""
        return self.total


def _runs_key(user, fleet: Fleet) -> str:
    # Runs belong to the user AND the fleet their credentials were proven to reach.
    digest = salted_hmac("events-left-open", f"{user.pk}\0{fleet.key}",
                         algorithm="sha256").hexdigest()[:32]
    return f"left-open:{digest}"


def _slot_of(user, fleet: Fleet, run: str) -> str:
    """Return the cache key of the run's slot; a new run takes a free or the oldest one.

    The index (run ids, oldest first, with their slots) is read and written without a lock:
    two runs started at the same moment may get one slot, and one of them then starts
    over. Never more than MAX_RUNS state entries per user and fleet.
    """
    prefix = _runs_key(user, fleet)
    index = cache.get(f"{prefix}:runs") or []
    slot = next((slot for known, slot in index if known == run), None)
    if slot is None:
        taken = {slot for _run, slot in index}
        free = [slot for slot in range(MAX_RUNS) if slot not in taken]
        # A free slot, or the oldest run's: it makes room.
        slot = free[0] if free else index.pop(0)[1]
        index.append((run, slot))
        cache.set(f"{prefix}:runs", index[-MAX_RUNS:], RUN_SECONDS)
    return f"{prefix}:slot{slot}"


def last_event(client, car_id: int) -> Event | None:
    """Return the car's newest event, or None (one call, $top=1); raise FlinkeyError."""
    events = client.list_events(car_id, Query(orderby=NEWEST_FIRST, top=1))
    return events[0] if events else None


def _opening(event: Event | None) -> tuple | None:
    # All a run keeps of a car's last event: an opening's moment and user, or nothing.
    if event is None or event.type != Event.OPENED:
        return None
    return (event.utc_date_time, event.user_id)


def check(*, user, run: str, upto: int | None = None, retry_failed: bool = False) -> Report:
    """Return the run's report with the first `upto` cars (all: None) checked.

    Cars already answered in this run are not asked again; the rest are asked a few at a
    time (one call each, `fan_out_cached`). A car whose call failed stays failed unless
    `retry_failed`. Raises what `fleetadmin.upstream.reach.prove` raises (before anything kept is
    read), and FlinkeyError when the car list cannot be had. A car deleted since the run
    started is left out.
    """
    proof = prove(user)
    # The fleet's one shared car list (its size is the report's progress bar).
    cars = {car.id: car for car in fleet_cars(user=user, proof=proof)}
    key = _slot_of(user, proof.fleet, run)
    state = cache.get(key)
    if state is None or state["run"] != run:
        ids = tuple(cars)
        state = {"run": run, "ids": ids, "status": bytes(len(ids)), "opened": {}}
    ids, opened = state["ids"], state["opened"]
    status = bytearray(state["status"])
    failure = state.get("failure")
    if retry_failed:
        status = bytearray(_NOT_ASKED if byte == _FAILED else byte for byte in status)
        failure = None
    present = [i for i, car_id in enumerate(ids) if car_id in cars]
    wanted = present if upto is None else present[: max(0, upto)]
    ask = [ids[i] for i in wanted if status[i] == _NOT_ASKED]
    if ask:
        # Bounded concurrency and a deadline; nothing cached per car (ttl None): a car's
        # last event is only true now, and the run keeps what it has learnt.
        results = fan_out_cached(user=user, proof=proof, kind="left-open-last-event",
                                 keys=ask, fetch=last_event, ttl=lambda key, value: None)
        position = {car_id: i for i, car_id in enumerate(ids)}
        for car_id, outcome in results.items():
            status[position[car_id]] = _ANSWERED if outcome.ok else _FAILED
            if not outcome.ok:
                # Kept once per run, not per car: what flinkey answered (or did not).
                failure = problem_of(outcome.error)
            found = _opening(outcome.value) if outcome.ok else None
            if found is not None:
                opened[car_id] = found
            else:
                opened.pop(car_id, None)
    kept = {"run": run, "ids": ids, "status": bytes(status), "opened": opened}
    if failure is not None:
        kept["failure"] = failure
    cache.set(key, kept, RUN_SECONDS)
    states = []
    for i in present:
        car = cars[ids[i]]
        if status[i] == _FAILED:
            states.append(CarState(car, failed=True))
        elif status[i] == _ANSWERED:
            found = opened.get(car.id)
            states.append(CarState(car, event=Opening(*found) if found else None))
        else:
            states.append(CarState(car, checked=False))
    report = Report(total=len(present), states=states)
    return replace(report, failure=failure if report.failed else None)


def stored_report(fleet_sync, *, hours: int, now: datetime) -> Report:
    """The whole fleet's report from the fleet store (no flinkey call), as of the fleet's
    last full sync: every car counts as checked, and only the cars left open are loaded."""
    found = reads.cars_left_open(fleet_sync, opened_before=now - timedelta(hours=hours))
    return StoredReport(total=reads.count_cars(fleet_sync),
                        states=[CarState(car, event=event) for car, event in found])
