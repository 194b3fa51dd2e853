"""Syncing one fleet into the store: cars, products, latest positions, samples and events.

Safe to run twice and to be killed anywhere: every row is an upsert keyed by flinkey's
ids; a chunk of cars' rows (its cars, products, positions, samples and events) is written
in one transaction with the cursors it advances (saved with the data, never before), a
few bulk queries a chunk rather than some twenty a car. One run per fleet at a time
(the fleet's lease); calls are paced by fleetstore.pacing. Failures end up on the run and
the fleet's status in plain words, never raised to a page.

Cars are asked FLEETSTORE_CONCURRENCY at a time (the flinkey client's `fan_out`), in
chunks: each car's calls run off the run's thread and only gather answers; the run's own
thread writes the chunk's answers together, then counts each car in the cars' order. One
call at a time, 50 ms away, cannot make the ~5 calls per car and hour the defaults ask of
a 10,000-car fleet (README "Fleet store and workers"); the pacer still caps the fleet's
calls per minute.
"""

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from fleetadmin.upstream.clients import client_from
from fleetstore.models import (
    FleetSync,
    PositionSample,
    StoredCar,
    StoredEvent,
    StoredProduct,
    SyncRun,
)
from fleetstore.pacing import Pacer
from flinkey import (
    AuthenticationError,
    FlinkeyError,
    NotFoundError,
    Product,
    Query,
    UnavailableError,
    fan_out,
    odata,
)
from flinkey.client import MAX_PAGE_SIZE

log = logging.getLogger(__name__)

# Seconds one client (one car's calls, or one page of the car list) may take in all.
_CLIENT_SECONDS = 120
# After this many cars in a row fail for want of an answer, the run gives up (flinkey down).
_UNAVAILABLE_IN_A_ROW = 5
# How often a run renews its lease and shows its progress.
_HEARTBEAT_SECONDS = 2.0
# Events per call (the API's largest page).
_EVENTS_PER_CALL = MAX_PAGE_SIZE
# Cars asked per chunk, per car in flight: small enough that a lost lease or a failed run
# wastes few calls, large enough that the threads seldom wait for the slowest car.
_CARS_PER_CHUNK_PER_CALL = 4


class LeaseLost(Exception):
    """Another run holds the fleet now (ours ran out): stop without writing more."""


class RunFailed(Exception):
    """The run cannot go on; `error` is a SyncRun.Error, `detail` flinkey's sentence."""

    def __init__(self, error: str, detail: str = "") -> None:
        super().__init__(error)
        self.error = error
        self.detail = detail


@dataclass
class Run:
    """What a running sync carries: the fleet, its run row, the pacer, the lease."""

    fleet: FleetSync
    row: SyncRun
    pacer: Pacer
    owner: str
    unavailable_in_a_row: int = 0
    _beat_at: float = 0.0

    def client(self):
        """A client of the fleet's sync credential at the fleet's own API."""
        return client_from(self.fleet, base_url=self.fleet.api_url, within=_CLIENT_SECONDS,
                           metered=False)

    def beat(self, *, force: bool = False) -> None:
        """Renew the lease and save progress (every few seconds); raises LeaseLost."""
        now_mono = time.monotonic()
        if not force and now_mono - self._beat_at < _HEARTBEAT_SECONDS:
            return
        self._beat_at = now_mono
        now = timezone.now()
        held = FleetSync.objects.filter(pk=self.fleet.pk, lease_owner=self.owner).update(
            lease_until=now + timedelta(seconds=settings.FLEETSTORE_LEASE_SECONDS))
        if not held:
            raise LeaseLost
        self.row.calls = self.pacer.calls
        self.row.heartbeat_at = now
        self.row.save(update_fields=["calls", "heartbeat_at", "cars_total", "cars_done",
                                     "cars_failed"])


# --- entry points (the tasks call these) ------------------------------------------------

def full_sync(fleet_id: int, *, force: bool = False) -> SyncRun | None:
    """Sync the fleet's cars, products, positions and events; None if not due or busy."""
    return _run(fleet_id, SyncRun.Kind.FULL, force=force)


def sample_positions(fleet_id: int, *, force: bool = False) -> SyncRun | None:
    """Store a position sample of every car with an IQ; None if not due or busy."""
    return _run(fleet_id, SyncRun.Kind.SAMPLES, force=force)


def minutes_between(fleet: FleetSync, kind: str) -> int:
    """The fleet's interval for `kind` (its own setting, else the deployment's)."""
    if kind == SyncRun.Kind.FULL:
        return fleet.sync_minutes or settings.FLEETSTORE_SYNC_MINUTES
    return fleet.sample_minutes or settings.FLEETSTORE_SAMPLE_MINUTES


def is_due(fleet: FleetSync, kind: str, now: datetime | None = None) -> bool:
    """True when the newest run of `kind` started at least its interval ago (or never)."""
    now = now or timezone.now()
    # A full sync also takes every car's latest position: it counts as a sample too.
    kinds = [kind] if kind == SyncRun.Kind.FULL else [kind, SyncRun.Kind.FULL]
    newest = fleet.runs.filter(kind__in=kinds).order_by("-started_at").first()
    if newest is None:
        return True
    # A little slack: a run started by the scheduler a few seconds late is still on time.
    return newest.started_at <= now - timedelta(minutes=minutes_between(fleet, kind),
                                                 seconds=-20)


def _run(fleet_id: int, kind: str, *, force: bool) -> SyncRun | None:
    fleet = FleetSync.objects.filter(pk=fleet_id, enabled=True).first()
    if fleet is None or (not force and not is_due(fleet, kind)):
        return None
    owner = secrets.token_hex(16)
    if not _take_lease(fleet_id, owner):
        return None
    try:
        fleet.refresh_from_db()
        # We hold the fleet: any run still "running" is one whose worker died.
        fleet.runs.filter(outcome=SyncRun.Outcome.RUNNING).update(
            outcome=SyncRun.Outcome.FAILED, error=SyncRun.Error.INTERRUPTED,
            finished_at=timezone.now())
        if not force and not is_due(fleet, kind):  # another run finished meanwhile
            return None
        row = SyncRun.objects.create(fleet=fleet, kind=kind)
        run = Run(fleet=fleet, row=row,
                  pacer=Pacer(settings.FLEETSTORE_CALLS_PER_MINUTE,
                              backoff=settings.FLEETSTORE_BACKOFF_SECONDS),
                  owner=owner)
        try:
            if kind == SyncRun.Kind.FULL:
                _full(run)
            else:
                _samples(run)
        except LeaseLost:
            log.warning("fleet store: sync of fleet %s lost its lease; stopped", fleet_id)
            _finish(run, SyncRun.Error.INTERRUPTED)
        except RunFailed as failure:
            _finish(run, failure.error, failure.detail)
        else:
            _finish(run)
        return row
    finally:
        _release(fleet_id, owner)


def _take_lease(fleet_id: int, owner: str) -> bool:
    now = timezone.now()
    return bool(FleetSync.objects.filter(pk=fleet_id).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lt=now)).update(
        lease_owner=owner, lease_until=now + timedelta(seconds=settings.FLEETSTORE_LEASE_SECONDS)))


def _release(fleet_id: int, owner: str) -> None:
    FleetSync.objects.filter(pk=fleet_id, lease_owner=owner).update(lease_owner="",
                                                                     lease_until=None)


def _finish(run: Run, error: str = "", detail: str = "") -> None:
    now = timezone.now()
    row = run.row
    row.calls = run.pacer.calls
    row.finished_at = now
    row.outcome = SyncRun.Outcome.FAILED if error else SyncRun.Outcome.SUCCESS
    row.error, row.error_detail = error, detail[:2000]
    row.save()
    status = {"last_error": error, "last_error_detail": row.error_detail}
    if error:
        status["last_error_at"] = now
    elif row.kind == SyncRun.Kind.FULL:
        status["synced_at"] = now
        status["sampled_at"] = now  # a full sync also takes every car's latest position
    else:
        status["sampled_at"] = now
    FleetSync.objects.filter(pk=run.fleet.pk).update(**status)


# --- the two kinds of run ---------------------------------------------------------------

def _full(run: Run) -> None:
    _check_reach(run)
    # What the store learns from here on (a car created, changed or deleted through
    # fleetadmin meanwhile: fleetstore.services.car_written, car_deleted) is newer than the
    # list read below, which a run of a big fleet then writes for many minutes.
    listed_at = timezone.now()
    cars = _all_cars(run)
    run.row.cars_total = len(cars)
    run.beat(force=True)
    now = timezone.now()
    for chunk in _chunks(cars):
        _sync_chunk(run, _upsert_cars(run.fleet, chunk, now, listed_at=listed_at), _ask_car)
    seen = {car.id for car in cars}
    # Only a complete list says which cars are gone, and only of cars learnt before it was
    # read: a car created since is missing from it, yet there.
    StoredCar.objects.filter(fleet=run.fleet, gone_at__isnull=True,
                             learnt_at__lt=listed_at).exclude(car_id__in=seen).update(gone_at=now)
    # Back are the cars it has that had gone before it was read: one deleted since stays gone.
    StoredCar.objects.filter(fleet=run.fleet, car_id__in=seen, gone_at__lt=listed_at).update(
        gone_at=None)


def _samples(run: Run) -> None:
    cars = list(StoredCar.objects.filter(fleet=run.fleet, gone_at__isnull=True)
                .exclude(has_iq=False).order_by("car_id"))
    if not cars:
        # Nothing stored yet: the first full sync learns the cars (and samples them).
        return
    run.row.cars_total = len(cars)
    run.beat(force=True)
    for chunk in _chunks(cars):
        _sync_chunk(run, chunk, _ask_location)


def _chunks(items: list) -> list[list]:
    size = _concurrency() * _CARS_PER_CHUNK_PER_CALL
    return [items[start:start + size] for start in range(0, len(items), size)]


def _concurrency() -> int:
    return max(1, settings.FLEETSTORE_CONCURRENCY)


def _sync_chunk(run: Run, cars: list[StoredCar], ask) -> None:
    """Ask flinkey about `cars` (several at once), write all their answers, then count each
    car's outcome in order."""
    # Bounded well within the lease, which is renewed only between chunks: cars not
    # answered by then count as unavailable (five in a row end the run: flinkey is down).
    asked = fan_out(lambda stored: ask(run, stored), cars, concurrency=_concurrency(),
                    timeout=settings.FLEETSTORE_LEASE_SECONDS / 2)
    answers = [outcome.value if outcome.ok else Answers(error=outcome.error)
               for outcome in asked]
    run.beat()  # raises LeaseLost: nothing written once another run holds the fleet
    # What a failed car was told before its failure is written too; it is asked again
    # next run (a car's failure ends the run only once the chunk is written).
    _store_chunk(run.fleet, list(zip(cars, answers, strict=True)))
    for answer in answers:
        _count_car(run, answer.error)


def _count_car(run: Run, error: Exception | None) -> None:
    """Count one car's outcome; a car that failed is left for the next run."""
    if isinstance(error, AuthenticationError):
        raise RunFailed(SyncRun.Error.CREDENTIALS, error.message)
    if isinstance(error, UnavailableError):
        run.row.cars_failed += 1
        run.unavailable_in_a_row += 1
        if run.unavailable_in_a_row >= _UNAVAILABLE_IN_A_ROW:
            raise RunFailed(SyncRun.Error.UNAVAILABLE, error.message)
    elif isinstance(error, FlinkeyError):
        run.row.cars_failed += 1
        run.unavailable_in_a_row = 0
    elif error is not None:
        raise error  # not flinkey's answer: a fault of ours, not a car to count
    else:
        run.row.cars_done += 1
        run.unavailable_in_a_row = 0
    run.beat()


def _check_reach(run: Run) -> None:
    """The sync credential still reaches the fleet's customer (also: it still works)."""
    try:
        customers = run.pacer.call(run.client().list_customers)
    except AuthenticationError as error:
        raise RunFailed(SyncRun.Error.CREDENTIALS, error.message) from None
    except UnavailableError as error:
        raise RunFailed(SyncRun.Error.UNAVAILABLE, error.message) from None
    except FlinkeyError as error:
        raise RunFailed(SyncRun.Error.UPSTREAM, error.message) from None
    if not any(customer.id == run.fleet.customer_id for customer in customers):
        raise RunFailed(SyncRun.Error.CUSTOMER)


def _all_cars(run: Run):
    cars, page = [], 1
    try:
        while True:
            # Ordered by id: a car added meanwhile lands at the end, not between pages.
            answer = run.pacer.call(run.client().page_cars, Query(orderby=(("id", "asc"),)),
                                    page=page, page_size=MAX_PAGE_SIZE - 1)
            cars.extend(answer.items)
            if not answer.has_next:
                return cars
            page += 1
            run.beat()
    except AuthenticationError as error:
        raise RunFailed(SyncRun.Error.CREDENTIALS, error.message) from None
    except UnavailableError as error:
        raise RunFailed(SyncRun.Error.UNAVAILABLE, error.message) from None
    except FlinkeyError as error:
        raise RunFailed(SyncRun.Error.UPSTREAM, error.message) from None


# --- one car ----------------------------------------------------------------------------

CAR_FIELDS = ("name", "description", "vin", "license_plate", "brand", "model")


def _upsert_cars(fleet: FleetSync, cars, now: datetime, *,
                 listed_at: datetime) -> list[StoredCar]:
    """The chunk's cars as the list told them, upserted in one query and read back in one
    (with what the store already knew: cursors, products' age, latest fix), in list order.

    A row learnt since the list was read (`listed_at`: a car changed through fleetadmin
    meanwhile) is left as it is: the list's values are older.
    """
    ids = [car.id for car in cars]
    newer = set(StoredCar.objects.filter(fleet=fleet, car_id__in=ids, learnt_at__gte=listed_at)
                .values_list("car_id", flat=True))
    rows = [StoredCar(fleet=fleet, car_id=car.id, learnt_at=now,
                      **{name: getattr(car, name) for name in CAR_FIELDS})
            for car in cars if car.id not in newer]
    StoredCar.objects.bulk_create(rows, update_conflicts=True, unique_fields=["fleet", "car_id"],
                                  update_fields=[*CAR_FIELDS, "learnt_at"])
    stored = {car.car_id: car for car in StoredCar.objects.filter(fleet=fleet, car_id__in=ids)}
    return [stored[car.id] for car in cars]


@dataclass
class Answers:
    """What flinkey said about one car, gathered off the run's thread (no database there).

    `error`: the call that failed (the answers before it are still written, then the car
    counts as failed and the next run asks again).
    """

    products: list | None = None  # None: not due (or not reached)
    location: object | None = None  # None: not asked, none recorded, or not reached
    event_pages: list[list] = field(default_factory=list)
    error: Exception | None = None


def _ask_car(run: Run, stored: StoredCar) -> Answers:
    """A full sync's calls for one car: its products when due, its position, its events."""
    answers, client = Answers(), run.client()
    try:
        products_due = stored.products_learnt_at is None or stored.products_learnt_at <= (
            timezone.now() - timedelta(hours=settings.FLEETSTORE_PRODUCTS_HOURS))
        if products_due:
            try:
                answers.products = run.pacer.call(client.list_products, stored.car_id)
            except NotFoundError:
                return answers  # the car went since the list was read; the next list says so
        has_iq = stored.has_iq if answers.products is None else any(
            product.type == Product.IQ for product in answers.products)
        if has_iq is not False:
            answers.location = _asked_location(run, client, stored)
        _ask_events(run, client, stored, answers.event_pages)
    except FlinkeyError as error:
        answers.error = error
    return answers


def _ask_location(run: Run, stored: StoredCar) -> Answers:
    """A sample run's one call for a car: its latest position."""
    try:
        return Answers(location=_asked_location(run, run.client(), stored))
    except FlinkeyError as error:
        return Answers(error=error)


def _store_chunk(fleet: FleetSync, asked: list[tuple[StoredCar, "Answers"]]) -> None:
    """Write a chunk's answers in one transaction, a few bulk queries in all: products,
    samples and events upserted, then each car's changed fields (its devices, latest
    position, events cursor) saved with them. Only the fields a car's answers change are
    written, as one query per set of such fields."""
    now = timezone.now()
    changed: dict[int, dict] = {}  # StoredCar pk -> its fields to save
    with transaction.atomic():
        _store_products(now, [(stored, answers.products) for stored, answers in asked
                              if answers.products is not None], changed)
        samples = []
        for stored, answers in asked:
            if answers.location is not None:
                fields = _location_fields(stored, answers.location, now)
                changed.setdefault(stored.pk, {}).update(fields)
                samples += _sample_rows(stored, [answers.location], learnt_at=now)
        _upsert_samples(samples)
        _store_events(fleet, now, [(stored, answers.event_pages) for stored, answers in asked
                                   if answers.event_pages], changed)
        by_fields: dict[tuple, list[StoredCar]] = {}
        for stored, _answers in asked:
            fields = changed.get(stored.pk)
            if fields:
                for name, value in fields.items():
                    setattr(stored, name, value)
                by_fields.setdefault(tuple(sorted(fields)), []).append(stored)
        for names, cars in by_fields.items():
            _save_fields(cars, names)


def _save_fields(cars: list[StoredCar], names: tuple[str, ...]) -> None:
    """UPDATE `names` of each of `cars`: one statement run for every car (executemany).

    Not bulk_update: its CASE WHEN pk = … per car and field cost ~10 ms of CPU a chunk
    (most of the chunk's writing, measured), this one statement next to nothing.
    """
    fields = [StoredCar._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    # Only the model's own table and column names go in, quoted; every value is a parameter.
    sql = (f"UPDATE {quote(StoredCar._meta.db_table)} SET "  # noqa: S608
           + ", ".join(f"{quote(field.column)} = %s" for field in fields)
           + f" WHERE {quote(StoredCar._meta.pk.column)} = %s")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [
            [field.get_db_prep_save(getattr(car, field.attname), connection) for field in fields]
            + [car.pk] for car in cars])


def _store_products(now: datetime, asked: list[tuple[StoredCar, list]],
                    changed: dict[int, dict]) -> None:
    """Upsert the cars' products, delete those no longer in them (one query each)."""
    if not asked:
        return
    rows = {(stored.pk, product.id): StoredProduct(
                car=stored, product_id=product.id, unique_id=product.unique_id,
                serial_number=product.serial_number, sap_number=product.sap_number,
                service_ends_at=product.service_ends_at, type=product.type, learnt_at=now)
            for stored, products in asked for product in products}
    StoredProduct.objects.bulk_create(
        list(rows.values()), update_conflicts=True, unique_fields=["car", "product_id"],
        update_fields=["unique_id", "serial_number", "sap_number", "service_ends_at", "type",
                       "learnt_at"])
    gone = [pk for pk, car, product in StoredProduct.objects.filter(
                car__in=[stored.pk for stored, _products in asked]).values_list(
                "pk", "car", "product_id")
            if (car, product) not in rows]
    if gone:
        StoredProduct.objects.filter(pk__in=gone).delete()
    for stored, products in asked:
        changed.setdefault(stored.pk, {}).update(
            has_iq=any(product.type == Product.IQ for product in products),
            products_learnt_at=now)


def _asked_location(run: Run, client, stored: StoredCar):
    try:
        return run.pacer.call(client.get_location, stored.car_id)
    except NotFoundError:
        # "No products are assigned to this car." (or the car went): nothing to sample.
        return None


def store_location(stored: StoredCar, location, *, learnt_at: datetime) -> None:
    """Keep `location` as the car's latest and as a sample (once per recorded moment).

    Also for single-car pages that ask flinkey live and write what they learn back.
    """
    with transaction.atomic():
        fields = _location_fields(stored, location, learnt_at)
        StoredCar.objects.filter(pk=stored.pk).update(**fields)
        for name, value in fields.items():
            setattr(stored, name, value)
        store_sample(stored, location, learnt_at=learnt_at)


def _location_fields(stored: StoredCar, location, learnt_at: datetime) -> dict:
    """The car's fields `location` changes: when learnt, and the fix and odometer if newer."""
    fields = {"location_learnt_at": learnt_at}
    newer_fix = location.recorded_at is not None and (
        stored.fix_at is None or location.recorded_at >= stored.fix_at)
    if newer_fix:
        fields.update(latitude=location.latitude, longitude=location.longitude,
                      fix_at=location.recorded_at)
    if location.odometer is not None and (
            stored.odometer_at is None or (location.odometer_recorded_at or learnt_at)
            >= stored.odometer_at):
        fields.update(odometer=location.odometer,
                      odometer_at=location.odometer_recorded_at or location.recorded_at)
    return fields


def store_sample(stored: StoredCar, location, *, learnt_at: datetime) -> None:
    """Keep `location` as a sample only (once per recorded moment), if it has its time.

    For an answer about a past moment: it says nothing about the car's latest position.
    """
    store_samples(stored, [location], learnt_at=learnt_at)


def store_samples(stored: StoredCar, locations, *, learnt_at: datetime,
                  within: tuple[datetime, datetime] | None = None) -> int:
    """Keep each of `locations` that has its time (and lies `within` (oldest, newest), if
    given) as a sample, once per recorded moment (an upsert: asking twice stores once);
    returns how many."""
    samples = _sample_rows(stored, locations, learnt_at=learnt_at, within=within)
    _upsert_samples(samples)
    return len(samples)


def _sample_rows(stored: StoredCar, locations, *, learnt_at: datetime,
                 within: tuple[datetime, datetime] | None = None) -> list[PositionSample]:
    """The samples `locations` make: those with their time (`within`, if given), one per
    recorded moment."""
    samples = {}
    for location in locations:
        moment = location.recorded_at or location.odometer_recorded_at
        if moment is not None and (within is None or within[0] <= moment <= within[1]):
            samples.setdefault(moment, PositionSample(
                car=stored, recorded_at=moment, latitude=location.latitude,
                longitude=location.longitude, odometer=location.odometer, learnt_at=learnt_at))
    return list(samples.values())


def _upsert_samples(samples: list[PositionSample]) -> None:
    if samples:
        PositionSample.objects.bulk_create(
            samples, update_conflicts=True, unique_fields=["car", "recorded_at"],
            update_fields=["latitude", "longitude", "odometer", "learnt_at"])


EVENT_FIELDS = ("user_id", "type", "utc_date_time", "utc_ticks", "local_date_time",
                "user_agent", "latitude", "longitude")


def _ask_events(run: Run, client, stored: StoredCar, pages: list[list]) -> None:
    """Read the car's events from its cursor less the re-read window into `pages`."""
    if stored.events_through is not None:
        start = stored.events_through - timedelta(hours=settings.FLEETSTORE_EVENTS_REREAD_HOURS)
    else:
        start = timezone.now() - timedelta(days=settings.FLEETSTORE_RETENTION_DAYS)
    after = None  # (Instant, id) of the last event read in this run
    while True:
        if after is None:
            condition = odata.ge("utc_date_time", start.astimezone(UTC))
        else:
            moment, event_id = after
            condition = odata.gt("utc_date_time", moment) | (
                odata.eq("utc_date_time", moment) & odata.gt("id", event_id))
        query = Query(filter=condition, orderby=(("utc_date_time", "asc"), ("id", "asc")),
                      top=_EVENTS_PER_CALL)
        try:
            events = run.pacer.call(client.list_events, stored.car_id, query)
        except NotFoundError:
            return
        if events:
            pages.append(events)
            last = events[-1]
            after = (last.utc_instant, last.id)
        if len(events) < _EVENTS_PER_CALL:
            return


def _store_events(fleet: FleetSync, now: datetime, asked: list[tuple[StoredCar, list[list]]],
                  changed: dict[int, dict]) -> None:
    """Upsert the cars' events (1,000 a query) and move each car's cursor to its newest,
    never back; the caller saves the cursors in the same transaction."""
    if not asked:
        return
    rows = {event.id: StoredEvent(fleet=fleet, car=stored, event_id=event.id, learnt_at=now,
                                  **{name: _event_value(event, name) for name in EVENT_FIELDS})
            for stored, pages in asked for page in pages for event in page}
    # update_conflicts sets each row's primary key (PostgreSQL, SQLite ≥ 3.35): the cursor's
    # event needs no query of its own.
    StoredEvent.objects.bulk_create(list(rows.values()), batch_size=_EVENTS_PER_CALL,
                                    update_conflicts=True, unique_fields=["fleet", "event_id"],
                                    update_fields=[*EVENT_FIELDS, "car", "learnt_at"])
    for stored, pages in asked:
        # Ties in time: the higher id is the newer (as the timelines order them).
        newest = max((event for page in pages for event in page),
                     key=lambda event: (event.utc_date_time, event.utc_ticks, event.id))
        if stored.events_through is None or (newest.utc_date_time, newest.utc_ticks) >= (
                stored.events_through, stored.events_through_ticks):
            changed.setdefault(stored.pk, {}).update(
                events_through=newest.utc_date_time, events_through_ticks=newest.utc_ticks,
                last_event_id=rows[newest.id].pk)


def _event_value(event, name: str):
    value = getattr(event, name)
    if name == "local_date_time" and value is not None:
        # The API's wall time has no zone; kept as that wall time read as UTC.
        return value.replace(tzinfo=UTC)
    return value


# --- retention --------------------------------------------------------------------------

def prune(*, now: datetime | None = None) -> tuple[int, int]:
    """Delete samples and events older than FLEETSTORE_RETENTION_DAYS; returns the counts."""
    limit = (now or timezone.now()) - timedelta(days=settings.FLEETSTORE_RETENTION_DAYS)
    samples, _ = PositionSample.objects.filter(recorded_at__lt=limit).delete()
    events, _ = StoredEvent.objects.filter(utc_date_time__lt=limit).delete()
    return samples, events
