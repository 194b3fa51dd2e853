"""The sandbox's data store: customers, users, cars, products, location history, events."""

import bisect
import math
import threading
from array import array
from dataclasses import dataclass, field, replace


class History:
    """A car's location samples in time order; NaN stands for a missing coordinate."""

    # Arrays instead of dicts keep ~60k samples small; the history is never written after
    # seeding, so snapshots share it.

    __slots__ = ("times", "lats", "lons", "odometers")

    def __init__(self):
        self.times = array("q")  # epoch seconds, ascending
        self.lats = array("d")
        self.lons = array("d")
        self.odometers = array("d")

    def append(self, ts: int, lat: float | None, lon: float | None, odometer: float) -> None:
        """Add one sample after the last one."""
        self.times.append(ts)
        self.lats.append(math.nan if lat is None else lat)
        self.lons.append(math.nan if lon is None else lon)
        self.odometers.append(odometer)

    def __len__(self) -> int:
        return len(self.times)

    def nearest(self, ts: float) -> int | None:
        """Index of the sample nearest in time to `ts` (the earlier one on a tie)."""
        if not self.times:
            return None
        i = bisect.bisect_left(self.times, ts)
        if i == 0:
            return 0
        if i == len(self.times):
            return i - 1
        return i - 1 if ts - self.times[i - 1] <= self.times[i] - ts else i


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
    events: dict[int, dict] = field(default_factory=dict)  # event id -> event
    car_events: dict[int, list[int]] = field(default_factory=dict)  # car id -> event ids
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
                car_events={k: list(v) for k, v in self.car_events.items()},
                next_car_id=self.next_car_id,
                next_event_id=self.next_event_id,
            )

    def car(self, customer_id: int, car_id: int) -> dict | None:
        """The car if it belongs to the customer."""
        return self.cars.get(customer_id, {}).get(car_id)

    def customer_of_car(self, car_id: int) -> int | None:
        """Which customer owns the car, if any."""
        for cid, cars in self.cars.items():
            if car_id in cars:
                return cid
        return None
