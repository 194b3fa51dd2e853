"""The sandbox's data store: customers, users, cars, products, location history, events."""

import bisect
import math
import threading
from array import array
from dataclasses import dataclass, field, replace

Sample = tuple[int, float, float, float]  # (epoch seconds, lat, lon, odometer); NaN = no fix


class History:
    """A car's location samples in time order, in chunks (days) built on first use."""

    # Arrays instead of dicts keep samples small. A history is never written after it was
    # built, so store snapshots share it; each chunk is built once, under the lock, by
    # `build(i) -> (times, lats, lons, odometers)`. Without `build` it is one eager chunk
    # filled with append().

    __slots__ = ("_bounds", "_build", "_chunks", "_lock", "_flat")

    def __init__(self, bounds: list[int] | None = None, build=None):
        self._bounds = [-(2**62)] if bounds is None else list(bounds)  # chunk start times
        self._build = build
        self._chunks: list = [None] * len(self._bounds)
        if build is None:
            self._chunks[0] = (array("q"), array("d"), array("d"), array("d"))
        self._lock = threading.Lock()
        self._flat = None

    def append(self, ts: int, lat: float | None, lon: float | None, odometer: float) -> None:
        """Add one sample after the last one (eager histories only)."""
        times, lats, lons, odometers = self._chunks[0]
        times.append(ts)
        lats.append(math.nan if lat is None else lat)
        lons.append(math.nan if lon is None else lon)
        odometers.append(odometer)
        self._flat = None

    def _chunk(self, i: int):
        chunk = self._chunks[i]
        if chunk is None:
            with self._lock:
                chunk = self._chunks[i]
                if chunk is None:
                    chunk = self._chunks[i] = self._build(i)
        return chunk

    @staticmethod
    def _sample(chunk, j: int) -> Sample:
        return chunk[0][j], chunk[1][j], chunk[2][j], chunk[3][j]

    def latest(self) -> Sample | None:
        """The last sample, or None when there is none."""
        for i in range(len(self._chunks) - 1, -1, -1):
            chunk = self._chunk(i)
            if chunk[0]:
                return self._sample(chunk, -1)
        return None

    def near(self, ts: float) -> Sample | None:
        """The sample nearest in time to `ts` (the earlier one on a tie); None when empty."""
        home = max(bisect.bisect_right(self._bounds, ts) - 1, 0)
        before = after = None
        for i in range(home, -1, -1):  # last sample before ts
            chunk = self._chunk(i)
            j = bisect.bisect_left(chunk[0], ts)
            if j > 0:
                before = self._sample(chunk, j - 1)
                break
        for i in range(home, len(self._chunks)):  # first sample at or after ts
            chunk = self._chunk(i)
            j = bisect.bisect_left(chunk[0], ts)
            if j < len(chunk[0]):
                after = self._sample(chunk, j)
                break
        if before is None or after is None:
            return before or after
        return before if ts - before[0] <= after[0] - ts else after

    def _all(self):
        if self._flat is None:
            flat = (array("q"), array("d"), array("d"), array("d"))
            for i in range(len(self._chunks)):
                for whole, part in zip(flat, self._chunk(i), strict=True):
                    whole.extend(part)
            self._flat = flat
        return self._flat

    # Whole-history views (build every chunk): for tests and tools, not for the API.
    @property
    def times(self) -> array:
        return self._all()[0]

    @property
    def lats(self) -> array:
        return self._all()[1]

    @property
    def lons(self) -> array:
        return self._all()[2]

    @property
    def odometers(self) -> array:
        return self._all()[3]

    def __len__(self) -> int:
        return len(self._all()[0])

    def nearest(self, ts: float) -> int | None:
        """Index (into `times`) of the sample nearest in time to `ts`, earlier on a tie."""
        times = self.times
        if not times:
            return None
        i = bisect.bisect_left(times, ts)
        if i == 0:
            return 0
        if i == len(times):
            return i - 1
        return i - 1 if ts - times[i - 1] <= times[i] - ts else i


@dataclass
class Manager:
    """An API manager account and the customers it may act for."""

    username: str
    password: str
    customer_ids: tuple[int, ...]


@dataclass
class Store:
    """Everything the API serves; guard every access with `lock`."""

    customers: dict[int, dict] = field(default_factory=dict)  # id -> {"id", "name"}
    managers: dict[str, Manager] = field(default_factory=dict)  # username -> Manager
    users: dict[int, int] = field(default_factory=dict)  # user id -> customer id
    user_names: dict[int, str] = field(default_factory=dict)
    cars: dict[int, dict[int, dict]] = field(default_factory=dict)  # customer -> id -> car
    products: dict[int, tuple] = field(default_factory=dict)  # car id -> product dicts
    locations: dict[int, History] = field(default_factory=dict)  # car id -> samples
    events: dict[int, dict] = field(default_factory=dict)  # event id -> event (not archived)
    car_events: dict = field(default_factory=dict)  # car id -> eventlog.CarEvents
    next_car_id: int = 1
    next_event_id: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    def copy(self) -> "Store":
        """An independent copy; immutable parts (products, histories, events) are shared."""
        with self.lock:
            return Store(
                customers={k: dict(v) for k, v in self.customers.items()},
                managers={k: replace(m) for k, m in self.managers.items()},
                users=dict(self.users),
                user_names=dict(self.user_names),
                # Cars are the only records changed in place (PATCH): copy each one.
                cars={c: {i: dict(car) for i, car in cs.items()} for c, cs in self.cars.items()},
                products=dict(self.products),
                locations=dict(self.locations),
                events=dict(self.events),
                car_events={k: v.copy() for k, v in self.car_events.items()},
                next_car_id=self.next_car_id,
                next_event_id=self.next_event_id,
            )

    def car(self, customer_id: int, car_id: int) -> dict | None:
        """The car if it belongs to the customer."""
        return self.cars.get(customer_id, {}).get(car_id)

    def event(self, event_id: int) -> dict | None:
        """An event by id, archived ones included."""
        found = self.events.get(event_id)
        if found is None:
            for events in self.car_events.values():
                if events.archive is not None and events.archive.owns(event_id):
                    return events.archive.row(event_id)
        return found

    def customer_of_car(self, car_id: int) -> int | None:
        """Which customer owns the car, if any."""
        for cid, cars in self.cars.items():
            if car_id in cars:
                return cid
        return None
