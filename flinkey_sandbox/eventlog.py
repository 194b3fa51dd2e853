"""One car's events: ids in id order, an index sorted by (utcDateTime, id), a lazy archive.

A timeline pages backwards with `$filter=utcDateTime lt T or (utcDateTime eq T and id lt N)`,
`$orderby=utcDateTime desc,id desc` and `$top`. Sorting 100,000 dicts per request is far too
slow for that, so each car keeps its events' keys sorted — key = (microseconds << 32) | id,
one int that orders like (utcDateTime, id) — and a query whose order is that key (or the
id) walks the index from the right place, evaluates the full $filter on each row it meets,
and stops after $skip + $top matches. Any other order falls back to the general path.
"""

import bisect
import heapq
import math
import random
import threading
from array import array
from datetime import UTC, datetime, timedelta
from itertools import islice

from . import odata
from .motion import _day_frame, day_of
from .timeutil import berlin_local, local_text, utc_text

SHIFT = 32
ID_MASK = (1 << SHIFT) - 1
TYPES = ("CarOpened", "CarClosed")
EPOCH = datetime(1970, 1, 1)
_MICRO = timedelta(microseconds=1)


def micros(naive_utc: datetime) -> int:
    """Microseconds since the epoch of a naive UTC datetime."""
    return (naive_utc - EPOCH) // _MICRO


def event_key(event: dict) -> int:
    """The index key of an event: orders like (utcDateTime, id)."""
    return (micros(odata.to_instant(event["utcDateTime"])) << SHIFT) | event["id"]


class Actor:
    """Who makes an event and how: user id, user agent, kind of coordinates sent."""

    __slots__ = ("user_id", "agent", "coordinates")

    def __init__(self, user_id: int, agent: str, coordinates: str):
        self.user_id, self.agent = user_id, agent
        self.coordinates = coordinates  # "phone" (floats, some null), "int" or "none"


def coordinates(rng: random.Random, actor: Actor, point) -> tuple:
    """(latitude, longitude) an actor would send for a car at `point`."""
    if actor.coordinates == "none" or point is None:
        return None, None
    lat, lon = point[0] + rng.gauss(0, 6e-5), point[1] + rng.gauss(0, 6e-5)
    if actor.coordinates == "int":  # the integration keeps whole degrees (the spec allows it)
        return round(lat), round(lon)
    if rng.random() < 0.08:  # location permission off on the phone
        return None, None
    return round(lat, 6), round(lon, 6)


class Archive:
    """Years of a busy pool car's events before the seeded window, made on first use.

    Stored as columns (a few bytes per event) and turned into dicts only for the rows a
    request touches. Ids run from `first_id` upwards in time order.
    """

    def __init__(
        self,
        seed: int,
        car_id: int,
        count: int,
        before: float,
        first_id: int,
        actors: list[Actor],
        weights: list[float],
        places: list,
    ):
        self.seed, self.car_id, self.count = seed, car_id, count
        self.before, self.first_id = before, first_id
        self.actors, self.weights, self.places = actors, weights, places
        self._lock = threading.Lock()
        self._columns = None
        self._keys: list[int] | None = None

    def __len__(self) -> int:
        return self.count

    def owns(self, event_id: int) -> bool:
        """True when the id is one of the archive's."""
        return self.first_id <= event_id < self.first_id + self.count

    @property
    def keys(self) -> list[int]:
        """Index keys of every archived event, ascending."""
        self._ensure()
        return self._keys

    def _ensure(self) -> None:
        if self._keys is None:
            with self._lock:
                if self._keys is None:
                    self._generate()

    def _generate(self) -> None:
        # Walks back from the window a day at a time (and back through each day) until there
        # are enough events, appending newest first; the columns are reversed at the end.
        # Plain random() and no per-event tuples: 100,000 events take ~0.2 s.
        rng = random.Random(f"{self.seed}:archive:{self.car_id}")
        r = rng.random
        times, kinds, actors = array("q"), bytearray(), bytearray()
        lats, lons = array("d"), array("d")
        cumulative, total = [], 0.0
        for weight in self.weights:
            total += weight
            cumulative.append(total)
        modes = [a.coordinates for a in self.actors]
        places, nan = self.places, math.nan
        here = places[0]
        d = day_of(self.before - 1)
        while len(times) < self.count:
            midnight, weekday = _day_frame(d)
            opening = midnight + (5.5 + 2 * r()) * 3600
            t = min(midnight + (20 + 2 * r()) * 3600, self.before - 60 - 3600 * r())
            pairs = (25 + int(21 * r())) if weekday < 5 else (4 + int(11 * r()))
            for _ in range(pairs):
                closed = t
                opened = closed - (2 + 28 * r()) * 60
                if opened < opening:
                    break
                actor = bisect.bisect(cumulative, r() * total)
                mode = modes[actor]
                there = places[int(r() * len(places))]
                there = (there[0] + (r() - 0.5) * 6e-3, there[1] + (r() - 0.5) * 8e-3)
                # Newest first: closed where the car is now, opened where it was before.
                for moment, kind, point in ((closed, 1, here), (opened, 0, there)):
                    times.append(int(moment))
                    kinds.append(kind)
                    actors.append(actor)
                    if mode == "none" or (mode == "phone" and r() < 0.08):
                        lats.append(nan)
                        lons.append(nan)
                    else:
                        lats.append(point[0] + (r() - 0.5) * 1.2e-4)
                        lons.append(point[1] + (r() - 0.5) * 1.2e-4)
                here = there
                t = opened - (1 + 19 * r()) * 60
            d -= 1
        for column in (times, kinds, actors, lats, lons):
            del column[self.count :]
            column.reverse()
        self._columns = (times, bytes(kinds), bytes(actors), lats, lons)
        first = self.first_id
        self._keys = [((t * 1_000_000) << SHIFT) | (first + i) for i, t in enumerate(times)]

    def row(self, event_id: int) -> dict:
        """The event with this id as the API shows it."""
        self._ensure()
        i = event_id - self.first_id
        times, kinds, actors, lats, lons = self._columns
        instant = datetime.fromtimestamp(times[i], UTC)
        actor = self.actors[actors[i]]
        lat, lon = lats[i], lons[i]
        if math.isnan(lat):
            lat = lon = None
        elif actor.coordinates == "int":
            lat, lon = round(lat), round(lon)
        else:
            lat, lon = round(lat, 6), round(lon, 6)
        return {
            "id": event_id,
            "dateTime": local_text(berlin_local(instant)),
            "utcDateTime": utc_text(instant),
            "userId": actor.user_id,
            "carId": self.car_id,
            "type": TYPES[kinds[i]],
            "userAgent": actor.agent,
            "latitude": lat,
            "longitude": lon,
        }


class CarEvents:
    """One car's events: regular ids (ascending), their sorted keys, and an optional archive."""

    __slots__ = ("ids", "keys", "archive")

    def __init__(self, archive: Archive | None = None):
        self.ids: list[int] = []
        self.keys: list[int] = []
        self.archive = archive

    def add(self, event: dict) -> None:
        """Index a stored event; ids only ever grow, so the id list stays sorted."""
        self.ids.append(event["id"])
        bisect.insort(self.keys, event_key(event))

    def copy(self) -> "CarEvents":
        """An independent copy (the archive is immutable and shared)."""
        other = CarEvents(self.archive)
        other.ids, other.keys = list(self.ids), list(self.keys)
        return other

    def __len__(self) -> int:
        return len(self.ids) + (len(self.archive) if self.archive else 0)

    def __iter__(self):
        """Event ids in id order."""
        if self.archive:
            yield from range(self.archive.first_id, self.archive.first_id + len(self.archive))
        yield from self.ids

    def ids_descending(self):
        """Event ids, highest first."""
        yield from reversed(self.ids)
        if self.archive:
            first = self.archive.first_id
            yield from range(first + len(self.archive) - 1, first - 1, -1)


# --- planning a scan from the filter ----------------------------------------------------

FLIP = {"lt": "gt", "le": "ge", "gt": "lt", "ge": "le", "eq": "eq", "ne": "ne"}
UNBOUNDED = (None, None)


def _comparison(ast: tuple) -> tuple[str, str, object, str] | None:
    """(field, op, value, literal kind) for `field op literal` (either way round)."""
    _, op, left, right = ast
    if left[0] == "lit" and right[0] == "field":
        left, right, op = right, left, FLIP[op]
    if left[0] == "field" and right[0] == "lit" and right[2] is not None:
        return left[1], op, right[2], right[1]
    return None


def _intersect(a: tuple, b: tuple) -> tuple:
    lo = a[0] if b[0] is None else b[0] if a[0] is None else max(a[0], b[0])
    hi = a[1] if b[1] is None else b[1] if a[1] is None else min(a[1], b[1])
    return lo, hi


def _hull(a: tuple, b: tuple) -> tuple:
    lo = None if a[0] is None or b[0] is None else min(a[0], b[0])
    hi = None if a[1] is None or b[1] is None else max(a[1], b[1])
    return lo, hi


def _bounds(ast: tuple) -> tuple[tuple, tuple | None]:
    """(key range, id range): every row the filter keeps has its key (id) inside them.

    Ranges are inclusive (lo, hi) with None for open ends. They only narrow the scan: the
    full filter still decides about each row, so an over-wide range is merely slower.
    """
    kind = ast[0]
    if kind == "cmp":
        found = _comparison(ast)
        if found is None:
            return UNBOUNDED, None
        field, op, value, literal = found
        if field == "utcDateTime" and literal == "datetime":
            low = micros(value) << SHIFT  # the smallest key at that instant
            high = low | ID_MASK
            ranges = {
                "lt": (None, low - 1),
                "le": (None, high),
                "gt": (high + 1, None),
                "ge": (low, None),
                "eq": (low, high),
            }
            return ranges.get(op, UNBOUNDED), None
        if field == "id" and literal == "int":
            ranges = {
                "lt": (None, value - 1),
                "le": (None, value),
                "gt": (value + 1, None),
                "ge": (value, None),
                "eq": (value, value),
            }
            return UNBOUNDED, ranges.get(op)
        return UNBOUNDED, None
    if kind == "and":
        (key_a, ids_a), (key_b, ids_b) = _bounds(ast[1]), _bounds(ast[2])
        keys = _intersect(key_a, key_b)
        ids = ids_a if ids_b is None else ids_b if ids_a is None else _intersect(ids_a, ids_b)
        lo, hi = keys
        if ids is not None and lo is not None and hi is not None and lo >> SHIFT == hi >> SHIFT:
            # One instant: the id bounds now bound the key, too.
            instant = lo >> SHIFT << SHIFT
            id_lo = 0 if ids[0] is None else max(ids[0], 0)
            id_hi = ID_MASK if ids[1] is None else min(ids[1], ID_MASK)
            keys = _intersect(keys, (instant | id_lo, instant + id_hi))
        return keys, ids
    if kind == "or":
        (key_a, _), (key_b, _) = _bounds(ast[1]), _bounds(ast[2])
        return _hull(key_a, key_b), None
    return UNBOUNDED, None


def key_range(options: odata.Options) -> tuple:
    """Inclusive (lo, hi) bounds on the index key implied by $filter."""
    if options.filter is None:
        return UNBOUNDED
    return _bounds(options.filter.ast)[0]


def _walk(keys: list[int], lo, hi, descending: bool):
    start = 0 if lo is None else bisect.bisect_left(keys, lo)
    stop = len(keys) if hi is None else bisect.bisect_right(keys, hi)
    if descending:
        return (keys[i] for i in range(stop - 1, start - 1, -1))
    return islice(keys, start, stop)


def _ties_by_id(keys):
    """Descending keys, but equal instants in ascending id order (a stable `desc` sort)."""
    run: list[int] = []
    for key in keys:
        if run and key >> SHIFT != run[0] >> SHIFT:
            yield from reversed(run)
            run = []
        run.append(key)
    yield from reversed(run)


BY_KEY = {
    (("utcDateTime", False),): False,
    (("utcDateTime", False), ("id", False)): False,
    (("utcDateTime", True), ("id", True)): True,
}


def select(events: CarEvents, lookup, options: odata.Options) -> list[dict]:
    """The car's events after the query options; `lookup(id)` gives a regular event."""
    archive = events.archive

    def row(event_id: int) -> dict:
        if archive is not None and archive.owns(event_id):
            return archive.row(event_id)
        return lookup(event_id)

    order = tuple(options.orderby)
    if order in ((), (("id", False),), (("id", True),)):
        ids = events.ids_descending() if order and order[0][1] else iter(events)
        if options.filter is None:
            rows = (row(i) for i in islice(ids, options.skip, _end(options)))
            return options.project(list(rows))
        return _take((row(i) for i in ids), options)
    if order in BY_KEY or order == (("utcDateTime", True),):
        descending = BY_KEY.get(order, True)
        lo, hi = key_range(options)
        if lo is not None and hi is not None and lo > hi:
            return []
        walks = [_walk(events.keys, lo, hi, descending)]
        if archive is not None:
            walks.append(_walk(archive.keys, lo, hi, descending))
        keys = walks[0] if len(walks) == 1 else heapq.merge(*walks, reverse=descending)
        if order == (("utcDateTime", True),):
            keys = _ties_by_id(keys)
        return _take((row(key & ID_MASK) for key in keys), options)
    # Any other order: every row, sorted (slow for the archive, fine for seeded cars).
    return odata.apply([row(i) for i in events], options)


def _end(options: odata.Options) -> int | None:
    return None if options.top is None else options.skip + options.top


def _take(rows, options: odata.Options) -> list[dict]:
    """$skip and $top over the rows that pass $filter, stopping as soon as possible."""
    kept = (r for r in rows if options.keeps(r))
    return options.project(list(islice(kept, options.skip, _end(options))))
