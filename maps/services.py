"""Where cars are and were: keyword-only functions the map views call.

Every location call goes through `fleetadmin.upstream.fanout.fan_out_cached` (one call per car or
per
route sample, concurrently, cached: a past moment for long, "now" briefly), and so only
for someone whose own credentials reach the fleet (`fleetadmin.upstream.reach`). Reads raise
FlinkeyError and SetupNeeded; a fan-out never raises for one car, it reports it.

Before a fan-out about one car (a route, a car's map) the car is looked up once
(`get_car`, cached like the car list, a "not found" for FLEETADMIN_NOT_FOUND_CACHE_SECONDS):
a car that is not the customer's ends there, not after hundreds of 404s.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from cars.fleet_list import fleet_car_ids
from cars.services import ListParams, list_query, search_filter
from fleetadmin.upstream.fanout import Reads, fan_out_cached, fan_out_together, location_ttl
from fleetadmin.upstream.reach import Proof, prove
from fleetadmin.web.dates import in_range, input_value, parse_input
from fleetadmin.web.map_config import map_config  # noqa: F401 - moved to the screen kit
from fleetstore import reads
from fleetstore.services import learnt_live, learnt_live_route, store_for
from flinkey import Car, Location, NotFoundError, Product, Query, UpstreamTimeout
from maps import route_store
from maps.route_shape import (  # noqa: F401 - STOP_*, Stop, meters_between: the route's API
    STOP_MIN_DURATION,
    STOP_RADIUS_M,
    Gap,
    Stop,
    Trip,
    bracketing_readings,
    find_stops,
    find_trips,
    gap_limit,
    gaps_between,
    meters_between,
    split_at_gaps,
)

# The API's 404 sentence for a car without any device: not an error on a map.

LOCATED = "located"
NO_DEVICE = "no_device"  # no flinkey IQ in this car (no products, or only a Box)
NO_POSITION = "no_position"  # an IQ that has not reported a position yet
FAILED = "failed"

# Route sampling intervals: "round" steps, so that moments fall on a grid and a reload a few
# minutes later asks (mostly) the same, cached moments. Never denser than the IQ's own
# sampling (every 10–15 minutes in the field): a 5-minute grid already repeats samples.
SAMPLE_STEPS = (300, 600, 900, 1200, 1800, 2400, 3600, 7200, 10800, 21600, 43200, 86400)
PRESETS = {"24h": timedelta(hours=24), "7d": timedelta(days=7)}
MAX_ROUTE_PERIOD = timedelta(days=31)


# --- moments ------------------------------------------------------------------------------


def parse_moment(text: str | None) -> datetime | None:
    """Return the aware UTC moment in `text`, or None when empty or invalid.

    Accepts the API's `yyyy-MM-ddTHH:mm:ssZ` (links), ISO 8601 (`yyyy-MM-ddTHH:mm[:ss]`)
    and the active language's input formats (`05.12.2026 20:53`), read in the active (the
    user's) time zone.
    """
    text = (text or "").strip()
    if not text:
        return None
    try:
        if text.endswith("Z"):
            moment = datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        else:
            moment = parse_input(text)  # the language's way, or ISO (a datetime-local value)
            if moment is None or not in_range(moment):  # year 1 in Berlin is no moment in UTC
                return None
            if moment.tzinfo is None:
                moment = timezone.make_aware(moment, timezone.get_current_timezone())
        moment = moment.astimezone(UTC).replace(microsecond=0)
    except (ValueError, OverflowError):
        return None
    return moment if in_range(moment) else None


def local_input(moment: datetime | None) -> str:
    """Return `moment` in the user's zone as they type it ("05.12.2026 20:53"; "" for None)."""
    if moment is None:
        return ""
    return input_value(timezone.localtime(moment))


def utc_param(moment: datetime) -> str:
    """Return `moment` as it goes into our URLs and to the API: `yyyy-MM-ddTHH:mm:ssZ`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- one car ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Position:
    """Where a car is (or was at `asked_at`), or why there is no answer (`state`)."""

    car_id: int
    state: str  # LOCATED, NO_DEVICE, NO_POSITION, FAILED
    location: Location | None = None
    asked_at: datetime | None = None  # None: the latest position
    error: BaseException | None = None
    # Whether the car has an IQ, where known without asking (the fleet store keeps it).
    has_iq: bool | None = None

    @property
    def from_an_iq(self) -> bool:
        """True when the answer proves a flinkey IQ: it holds something (an odometer, a
        date). An all-null answer may also be a Box without an IQ (`car_position` asks the
        products to tell; a fleet map cannot afford that call per car)."""
        if self.has_iq is not None:
            return self.has_iq
        loc = self.location
        return loc is not None and any(value is not None for value in (
            loc.latitude, loc.longitude, loc.recorded_at, loc.odometer, loc.odometer_recorded_at))

    @property
    def offset(self) -> timedelta | None:
        """Return how far the sample is from the asked moment (positive: after it)."""
        if self.asked_at is None or self.location is None or self.location.recorded_at is None:
            return None
        return self.location.recorded_at - self.asked_at


def _located(location: Location | None) -> bool:
    return (location is not None and location.latitude is not None
            and location.longitude is not None)


def _fetch_location(client, key):
    car_id, at = key
    try:
        return client.get_location(car_id, at=at)
    except NotFoundError as error:
        if error.kind == "no_products":
            return None  # no devices: a state of the car, cached like a position
        raise


def _ttl(key, _value):
    return location_ttl(key[1])


def _locations(car_ids, at: datetime | None) -> Reads:
    return Reads("location", [(car_id, at) for car_id in car_ids], _fetch_location, _ttl)


def _positions_of(results, at: datetime | None) -> dict[int, Position]:
    return {car_id: _position_of(car_id, outcome, at)
            for (car_id, _at), outcome in results.items()}


def _position_of(car_id: int, outcome, at: datetime | None) -> Position:
    if not outcome.ok:
        return Position(car_id, FAILED, asked_at=at, error=outcome.error)
    if outcome.value is None:
        return Position(car_id, NO_DEVICE, asked_at=at)
    if not _located(outcome.value):
        return Position(car_id, NO_POSITION, outcome.value, asked_at=at)
    return Position(car_id, LOCATED, outcome.value, asked_at=at)


def positions(*, user, car_ids, at: datetime | None = None, proof: Proof | None = None,
              timeout: float | None = None) -> tuple[dict[int, Position], int]:
    """Return ({car id: Position}, upstream calls made) for the cars at `at` (None: now).

    A car whose call fails is FAILED with its error; others are unaffected. A car without
    products is NO_DEVICE; an all-null answer is NO_POSITION (a Box-only car answers that
    too: `car_position` tells them apart with the car's products).
    """
    (results,) = fan_out_together(user=user, reads=[_locations(car_ids, at)], proof=proof,
                                  timeout=timeout)
    return _positions_of(results, at), results.fetched


def positions_at(*, user, keys, proof: Proof | None = None, timeout: float | None = None
                 ) -> tuple[dict[tuple, Position], int]:
    """Return ({(car id, moment): Position}, upstream calls made) for each (car id, moment)
    of `keys` (moment None: now), in one fan-out: several cars, each at its own moments.

    Cached like `positions` (the same keys: a route's or a map's answers are reused).
    """
    results = fan_out_cached(user=user, proof=proof, kind="location", keys=keys,
                             fetch=_fetch_location, ttl=_ttl, timeout=timeout)
    return ({key: _position_of(key[0], outcome, key[1]) for key, outcome in results.items()},
            results.fetched)


def fleet_positions(*, user, car_ids, at: datetime | None = None
                    ) -> tuple[list[int], dict[int, Position], int]:
    """Return (the fleet's cars among `car_ids`, their positions, upstream calls made).

    Ids that are not the customer's cars are left out before anything is asked about them
    (the fleet's car list: one call, shared, `cars.fleet_list`): asking positions of
    arbitrary ids would cost a 404 each.
    """
    proof = prove(user)
    ids = list(dict.fromkeys(car_ids))
    if not ids:
        return [], {}, 0
    fleet_ids = fleet_car_ids(user=user, proof=proof)
    ids = [car_id for car_id in ids if car_id in fleet_ids]
    found, calls = positions(user=user, car_ids=ids, at=at, proof=proof) if ids else ({}, 0)
    return ids, found, calls


def car_position(*, user, car_id: int, at: datetime | None = None) -> Position:
    """Return the car's position now or nearest to `at`; raise FlinkeyError or SetupNeeded.

    "No flinkey IQ" and "no position yet" are states, not errors; a car unknown to the
    customer raises NotFoundError.
    """
    proof = prove(user)
    found, _calls = positions(user=user, car_ids=[car_id], at=at, proof=proof)
    position = found[car_id]
    if position.state == FAILED:
        raise position.error
    # All null: a Box without an IQ, or an IQ that has not reported yet (one more call).
    if position.state == NO_POSITION and not any(
        p.type == Product.IQ for p in proof.client().list_products(car_id)
    ):
        return Position(car_id, NO_DEVICE, asked_at=at)
    if at is None and position.location is not None:
        # The live answer is the truth: the fleet store (if sync is on) keeps it too.
        learnt_live(customer_id=proof.fleet.customer_id, car_id=car_id,
                    location=position.location)
    return position


def get_car(*, user, car_id: int, proof: Proof | None = None) -> Car:
    """Return the car (cached as briefly as the car list; "not found" as briefly as
    FLEETADMIN_NOT_FOUND_CACHE_SECONDS); raise NotFoundError, FlinkeyError, SetupNeeded.

    The one call that tells whether the car is the customer's before a fan-out about it.
    An answer asked live (not cached) is also kept by the fleet store, if sync is on.
    """
    proof = proof or prove(user)
    result = fan_out_cached(user=user, proof=proof, kind="car", keys=[car_id],
                            fetch=lambda client, key: client.get_car(key), ttl=_now_ttl)
    outcome = result[car_id]
    if not outcome.ok:
        raise outcome.error
    if result.fetched:
        learnt_live(customer_id=proof.fleet.customer_id, car=outcome.value)
    return outcome.value


# --- the fleet ----------------------------------------------------------------------------


# The first batch is small so the first markers show soon: the cars that fit in this many
# rounds of the fan-out, next to the count and the next batch's list call.
FIRST_BATCH_ROUNDS = 5


@dataclass(frozen=True)
class FleetBatch:
    """Cars `start`, `start + 1`, ... of the customer's cars, with their positions."""

    cars: tuple[Car, ...]
    positions: dict[int, Position]
    start: int
    next_start: int | None  # None: this was the last batch
    total: int | None  # counted on the first batch only
    upstream_calls: int
    # Car id -> the type of its newest event (Event.OPENED, Event.CLOSED), where known: the
    # fleet store keeps it; live, one events call per car would be too dear for a map.
    last_events: dict[int, str] = field(default_factory=dict)
    # From the fleet store: its rows (fleetstore.reads.MAP_FIELDS) instead of cars and
    # positions (stored_batch); None for a batch asked of flinkey.
    rows: list[tuple] | None = None


def batch_size(start: int) -> int:
    """Return how many cars the batch from `start` holds (the first one fewer)."""
    size = settings.FLEETADMIN_MAP_BATCH_SIZE
    if start:
        return size
    first = settings.FLEETADMIN_FANOUT_CONCURRENCY * FIRST_BATCH_ROUNDS - 2
    return max(1, min(size, first))


def fleet_batch(*, user, search: str = "", start: int = 0,
                at: datetime | None = None) -> FleetBatch:
    """Return the batch of cars from `start` matching `search`, where they are (or were at `at`).

    The list call raises FlinkeyError; the location calls never do: a failed car is FAILED
    in `positions`. List pages and the count are cached like current positions.
    """
    size = batch_size(start)
    # One proof for the whole batch: the list and the positions are of one customer, even
    # if the user switches customer meanwhile.
    proof = prove(user)
    (listed,) = fan_out_together(user=user, proof=proof, reads=[_car_rows(search, start, size)])
    (outcome,) = listed.values()
    if not outcome.ok:
        raise outcome.error
    cars, more = outcome.value[:size], len(outcome.value) > size
    next_start = start + size if more else None
    # The positions first; in the same fan-out the count (first batch), then the next
    # batch's cars, which the browser asks for next: they fill slots the last round of
    # positions leaves idle, where calls of their own would cost a round trip each.
    counting = start == 0 and more
    ahead = [_car_count(search)] if counting else []
    ahead += [_car_rows(search, next_start, batch_size(next_start))] if more else []
    located, *extra = fan_out_together(
        user=user, proof=proof, reads=[_locations([car.id for car in cars], at), *ahead])
    total = len(cars) if start == 0 and not more else None
    if counting:
        (counted,) = extra[0].values()
        total = counted.value if counted.ok else None  # no count: the map fills all the same
    calls = listed.fetched + located.fetched + sum(result.fetched for result in extra)
    return FleetBatch(cars, _positions_of(located, at), start, next_start, total, calls)


# Cars per fleet-map batch read from the fleet store (no upstream call: bigger batches; the
# first one smaller so that markers show at once).
STORE_FIRST_BATCH = 500
STORE_BATCH = 2500


def stored_batch(*, fleet_sync, search: str = "", start: int = 0) -> FleetBatch:
    """Return the batch of cars from `start` matching `search`, where the fleet store last
    saw them (fleet sync on), each with its newest stored event's kind: no flinkey call.

    The cars come as the store's rows (`rows`, fleetstore.reads.MAP_FIELDS), which
    maps.fleet.stored_car_data turns into the map's items; `cars` and `positions` stay empty
    (a 10,000-car map made a Car, a Location and a Position per car only to read them back).
    """
    size = STORE_BATCH if start else STORE_FIRST_BATCH
    rows, more = reads.map_rows(fleet_sync, search=search, start=start, size=size)
    total = None
    if start == 0:
        total = reads.count_cars(fleet_sync, search=search) if more else len(rows)
    return FleetBatch((), {}, start, start + size if more else None, total, 0, rows=rows)


def _car_rows(search: str, start: int, size: int) -> Reads:
    """Cars `start` to `start + size` and one more (is there a next batch?), cached briefly."""
    query = list_query(ListParams(search=search))
    return Reads("map-cars", [(_search_key(search), start, size)],
                 lambda client, key: tuple(client.list_cars(
                     replace(query, skip=key[1], top=key[2] + 1))),
                 _now_ttl)


def _car_count(search: str) -> Reads:
    """How many cars match `search`, cached like the list pages (kind map-count)."""
    return Reads("map-count", [_search_key(search)],
                 lambda client, _key: count_cars(client=client, search=search), _now_ttl)


def _search_key(search: str) -> str:
    # Hashed: a search of any length and any characters makes a short cache key of safe ones.
    return hashlib.sha256(search.encode()).hexdigest()[:32]


def _now_ttl(_key, _value) -> int:
    # The car list is "now", even for a map of a past moment: kept as briefly as a position.
    return settings.FLEETADMIN_LOCATION_CACHE_SECONDS


def count_cars(*, client, search: str = "") -> int:
    """Return how many cars match `search` (one call, asking only for ids and names)."""
    return len(client.list_cars(Query(filter=search_filter(search), select=("id", "name"))))


# --- routes -------------------------------------------------------------------------------


def sample_plan(*, start: datetime, end: datetime, max_calls: int | None = None) -> list[datetime]:
    """Return the moments to ask for a route from `start` to `end`: at most `max_calls`.

    The step is the smallest of SAMPLE_STEPS that keeps within the cap; moments lie on
    multiples of the step (UTC epoch), so they repeat between loads and hit the cache:
    a reload asks only the moments not cached yet (the recent ones, after their short TTL).
    """
    max_calls = max_calls or settings.FLEETADMIN_ROUTE_MAX_CALLS
    if end <= start:
        return []
    span = (end - start).total_seconds()
    step = next((s for s in SAMPLE_STEPS if span / s + 2 <= max_calls), None)
    if step is None:
        step = math.ceil(span / max(max_calls - 2, 1))
    # From the grid moment at or before `start` to the one at or after `end`: a moment
    # past the last sample answers the latest one, so "now" is covered too.
    first = math.floor(start.timestamp() / step) * step
    last = math.ceil(end.timestamp() / step) * step
    moments = [datetime.fromtimestamp(t, UTC) for t in range(first, last + 1, step)]
    return moments[:max_calls]


@dataclass(frozen=True)
class Route:
    """The positions of a period, its parts between gaps, stops, trips and distances."""

    start: datetime
    end: datetime
    points: tuple[Location, ...]
    stops: tuple[Stop, ...]
    calls: int  # moments asked (upstream calls when nothing was cached)
    upstream_calls: int  # calls actually made
    failed: int  # moments whose call failed (not counting those still to load)
    step: timedelta | None
    errors: tuple = field(default=(), repr=False)
    # The samples with an odometer reading, with or without a position fix: the IQ may
    # count kilometres while it has no GPS fix (each field of the answer may be null).
    odometers: tuple[Location, ...] = ()
    # The points split where the data has a gap (route_shape.split_at_gaps).
    segments: tuple[tuple[Location, ...], ...] = ()
    trips: tuple[Trip, ...] = ()
    gaps: tuple[Gap, ...] = ()
    # Moments not answered yet: the deadline came first (or, from the store, not asked yet).
    # The page shows what has arrived and asks again for these (cached answers are free).
    pending: int = 0
    no_iq: bool = False  # the car has no flinkey IQ: no route, and nothing was asked
    stored: int = 0  # positions read from the fleet store

    @property
    def odometer_readings(self) -> tuple[Location, Location] | None:
        """The readings that bracket the period (route_shape.bracketing_readings)."""
        return bracketing_readings(self.odometers, start=self.start, end=self.end)

    @property
    def odometer_km(self) -> float | None:
        """What the odometer counted between the readings that bracket the period."""
        readings = self.odometer_readings
        if readings is None:
            return None
        return max(readings[1].odometer - readings[0].odometer, 0.0)

    @property
    def complete(self) -> bool:
        return not self.pending


def dedupe(samples) -> list[Location]:
    """Return the distinct located samples in time order (the API repeats the nearest one)."""
    seen = {}
    for sample in samples:
        if _located(sample) and sample.recorded_at is not None:
            seen.setdefault(sample.recorded_at, sample)
    return [seen[moment] for moment in sorted(seen)]


def odometer_samples(samples) -> list[Location]:
    """Return the distinct samples having an odometer reading, in the order they were read.

    Unlike `dedupe`, a sample without a position counts: its reading is as good.
    """
    seen = {}
    for sample in samples:
        if (sample is not None and sample.odometer is not None
                and sample.odometer_recorded_at is not None):
            seen.setdefault(sample.odometer_recorded_at, sample)
    return [seen[moment] for moment in sorted(seen)]


def odometer_distance(points) -> float | None:
    """Return the km the odometer counted between the first and last sample having one."""
    readings = [p.odometer for p in points if p.odometer is not None]
    if len(readings) < 2:
        return None
    return max(readings[-1] - readings[0], 0.0)


def _has_iq(client, car_id: int) -> bool:
    try:
        products = client.list_products(car_id)
    except NotFoundError as error:
        if error.kind == "no_products":
            return False
        raise
    return any(product.type == Product.IQ for product in products)


def has_iq(*, user, car_id: int, proof: Proof, stored: bool | None = None) -> bool:
    """Return whether the car has a flinkey IQ: as the fleet store knows it (`stored`), else
    one products call (cached like the car): a car without one has no route to ask for."""
    if stored is not None:
        return stored
    result = fan_out_cached(user=user, proof=proof, kind="has-iq", keys=[car_id],
                            fetch=lambda client, key: _has_iq(client, key), ttl=_now_ttl)
    outcome = result[car_id]
    if not outcome.ok:
        raise outcome.error
    return outcome.value


def route(*, user, car_id: int, start: datetime, end: datetime, live: bool = True,
          timeout: float | None = None) -> Route:
    """Return the car's route from `start` to `end`.

    The car is looked up first (the fleet store, else one call, cached): a car that is not
    the customer's raises NotFoundError before anything else is asked; then whether it has
    an IQ (the store, or one products call): a car without one is a Route with `no_iq`,
    nothing more asked.

    The positions come from the fleet store where it has samples of the period (sync on,
    and the user may read it: fleetstore.services.store_for), merged with live calls for
    what the samples leave out (maps.route_store); else from samples asked concurrently on
    a grid. `live=False` asks nothing of the sort (the store's part at once; `pending`
    counts what is left); `timeout` bounds the live calls, and what it leaves out is
    `pending` too. Failed samples are left out (counted in `failed`); raises SetupNeeded,
    and FlinkeyError when every sample failed.
    """
    proof = prove(user)
    store = store_for(user)
    stored = route_store.stored_route(store, car_id, start=start, end=end) if store else None
    if stored is None:
        get_car(user=user, car_id=car_id, proof=proof)  # the store holds only the fleet's cars
    if not has_iq(user=user, car_id=car_id, proof=proof,
                  stored=stored.has_iq if stored is not None else None):
        return Route(start, end, (), (), 0, 0, 0, None, no_iq=True)
    samples = list(stored.samples) if stored is not None else []
    if samples:
        moments = route_store.live_moments(stored, start=start, end=end, plan=sample_plan,
                                           max_calls=settings.FLEETADMIN_ROUTE_MAX_CALLS)
        step = stored.interval
    else:
        moments = sample_plan(start=start, end=end)
        step = moments[1] - moments[0] if len(moments) > 1 else None
    answers, errors, pending, fetched = [], [], 0, 0
    if moments and (live or not samples):
        results = fan_out_cached(
            user=user, proof=proof, kind="location",
            keys=[(car_id, moment) for moment in moments],
            fetch=_fetch_location, ttl=_ttl, timeout=timeout,
        )
        fetched = results.fetched
        errors = [outcome.error for outcome in results.values() if not outcome.ok]
        # Not answered by the deadline: still to load, not failed (asked again next round).
        pending = sum(isinstance(error, UpstreamTimeout) for error in errors) if timeout else 0
        if errors and len(errors) == len(results) and not pending and not samples:
            raise errors[0]
        answers = [outcome.value for outcome in results.values() if outcome.ok]
        if fetched:
            # Asked live, kept by the store (if sync is on): the next route of the period
            # reads them there instead of asking again (maps.route_store.live_moments).
            learnt_live_route(customer_id=proof.fleet.customer_id, car_id=car_id,
                              locations=[answer for answer in answers if answer is not None])
    elif moments:
        pending = len(moments)
    answers = samples + answers
    points = [p for p in dedupe(answers) if start <= p.recorded_at <= end]
    odometers = odometer_samples(answers)
    parts = split_at_gaps(points, limit=gap_limit(step))
    stops = find_stops(points)
    return Route(start, end, tuple(points), tuple(stops), len(moments), fetched,
                 len(errors) - pending, step, tuple(errors), tuple(odometers),
                 segments=tuple(tuple(part) for part in parts),
                 trips=tuple(_trips(parts, stops)), gaps=tuple(gaps_between(parts)),
                 pending=pending,
                 stored=sum(1 for p in samples if _located(p) and start <= p.recorded_at <= end))


def _trips(parts, stops) -> list[Trip]:
    """The trips of each part: none runs across a gap in the data."""
    trips = []
    for part in parts:
        first, last = part[0].recorded_at, part[-1].recorded_at
        trips += find_trips(part, [s for s in stops if first <= s.start and s.end <= last])
    return trips


def route_period(params) -> tuple[str, datetime | None, datetime | None,
                                  tuple[datetime, datetime] | None]:
    """Return (preset, from, to, the period) a route page's query (`period`, `from`, `to`)
    asks for; the car map and its downloads read the same query.

    `now` (a UTC moment, never later than now) pins a preset's end: the route's later
    rounds (maps.views) load the very period the first one showed.
    """
    preset = params.get("period", "")
    start, end = parse_moment(params.get("from")), parse_moment(params.get("to"))
    now = parse_moment(params.get("now"))
    now = min(now, timezone.now()) if now else None
    return preset, start, end, period_of(preset=preset, start=start, end=end, now=now)


def period_of(*, preset: str = "", start: datetime | None = None, end: datetime | None = None,
              now: datetime | None = None) -> tuple[datetime, datetime] | None:
    """Return the (start, end) a route form asks for: a preset, or a custom range."""
    now = (now or timezone.now()).replace(microsecond=0)
    if preset in PRESETS:
        return now - PRESETS[preset], now
    if start and end and start < end:
        end = min(end, now)
        start = max(start, end - MAX_ROUTE_PERIOD)
        return (start, end) if start < end else None
    return None


def period_cut(*, preset: str = "", start: datetime | None,
               period: tuple[datetime, datetime] | None) -> bool:
    """True when a custom range was cut to MAX_ROUTE_PERIOD (the page says so)."""
    return (preset not in PRESETS and start is not None and period is not None
            and period[0] > start)
