"""The "left open" report: cars whose last event is an opening older than N hours.

No bulk call exists: it is one `$top=1` events call per car (newest first). A report run
checks the fleet in batches (the browser asks for the next batch), each batch one
`fleetadmin.fanout.fan_out_cached` (bounded concurrency, a deadline, partial results).
The run's answers are kept in Django's cache under the run's id (one entry), so each batch
shows everything found so far, sorted, and a new run (a new page load) asks afresh. The run
also remembers which cars failed, so later batches do not silently retry them: the person
does, with "Check them again".
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.utils.crypto import salted_hmac

from events.services import NEWEST_FIRST
from fleetadmin.fanout import fan_out_cached
from fleetadmin.flinkey import client_for, credentials_of
from fleetstore import reads
from flinkey import Car, Event, Query

# Cars checked per request: with 8 at a time and 50 ms per call, under a second.
BATCH_SIZE = 100
# How long a run's answers are kept: long enough to go through a big fleet and retry.
RUN_SECONDS = 15 * 60


def new_run() -> str:
    """Return the id of a new report run."""
    return secrets.token_urlsafe(9)


def valid_run(run: object) -> bool:
    """Return True for a run id as new_run makes them."""
    return isinstance(run, str) and 8 <= len(run) <= 24 and run.replace("-", "").replace(
        "_", "").isalnum()


@dataclass(frozen=True)
class CarState:
    """What a run knows about one car: its last event, none, or that asking failed."""

    car: Car
    event: Event | None = None
    failed: bool = False
    checked: bool = True


@dataclass(frozen=True)
class Report:
    """The cars checked so far (in fleet order), how many there are, and the ones left open."""

    total: int
    states: list[CarState]

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


def _run_key(user, run: str, what: str) -> str:
    # The run belongs to this user's account and customer: nobody else's run id reads it.
    credentials = credentials_of(user)
    account = f"{user.pk}\0{getattr(credentials, 'customer_id', '')}\0{run}"
    digest = salted_hmac("events-left-open", account, algorithm="sha256").hexdigest()
    return f"left-open:{digest}:{what}"


def last_event(client, car_id: int) -> Event | None:
    """Return the car's newest event, or None (one call, $top=1); raise FlinkeyError."""
    events = client.list_events(car_id, Query(orderby=NEWEST_FIRST, top=1))
    return events[0] if events else None


def check(*, user, run: str, upto: int | None = None, retry_failed: bool = False) -> Report:
    """Return the run's report with the first `upto` cars (all: None) checked.

    Cars already answered in this run are not asked again; the rest are asked a few at a
    time (one call each, `fan_out_cached`). A car whose call failed stays failed unless
    `retry_failed`. Raises FlinkeyError/SetupNeeded when the car list cannot be had.
    """
    client = client_for(user)
    key = _run_key(user, run, "state")
    # One cache entry per run (not one per car): a small local-memory cache culls entries
    # when full, and a report over 1,000 cars must not lose half its answers to that.
    state = cache.get(key) or {"cars": None, "answers": {}, "failed": set()}
    if state["cars"] is None:
        # One call for the whole fleet: its size is the report's progress bar.
        state["cars"] = client.list_cars(Query(orderby=(("name", "asc"), ("id", "asc"))))
    cars, answers, failed = state["cars"], state["answers"], state["failed"]
    if retry_failed:
        failed = set()
    wanted = cars if upto is None else cars[: max(0, upto)]
    ask = [car.id for car in wanted if car.id not in answers and car.id not in failed]
    if ask:
        # Bounded concurrency and a deadline; nothing cached per car (ttl None): a car's
        # last event is only true now, and the run keeps what it has learnt.
        results = fan_out_cached(user=user, kind="left-open-last-event", keys=ask,
                                 client=client, fetch=last_event, ttl=lambda key, value: None)
        for car_id, outcome in results.items():
            if outcome.ok:
                answers[car_id] = outcome.value
            else:
                failed.add(car_id)
    cache.set(key, {"cars": cars, "answers": answers, "failed": failed}, RUN_SECONDS)
    states = []
    for car in cars:
        if car.id in failed:
            states.append(CarState(car, failed=True))
        elif car.id in answers:
            states.append(CarState(car, event=answers[car.id]))
        else:
            states.append(CarState(car, checked=False))
    return Report(total=len(cars), states=states)


def stored_report(fleet_sync) -> Report:
    """The whole fleet's report from the fleet store (no flinkey call): every car checked,
    as of the fleet's last full sync."""
    pairs = reads.cars_with_last_event(fleet_sync)
    return Report(total=len(pairs), states=[CarState(car, event=event) for car, event in pairs])
