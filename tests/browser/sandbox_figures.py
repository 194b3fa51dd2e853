"""What the dashboard's figures must be, worked out from the flinkey sandbox's own seeded data,
and a fleet store filled from the sandbox by the real sync, as a fleet manager's would be.

Nothing here reads fleetadmin's store or its figure/report code: the expectations are plain
arithmetic over `sandbox.store` (the data the sandbox serves), so a wrong query in the
dashboard cannot make its own expectation wrong too.

The sync only ever asks for a car's latest position, so one run gives one sample per car. A
fleet synced for two weeks has a sample every few hours; `sync_from_sandbox` replays that:
it lets the sandbox answer "latest" as it would have at moments of the last 14 days (the
sandbox's own history, cut at each moment) and runs the sample sync at each, then a full
sync as now. The expectations use the same moments (`Sampled.moments`).
"""

import bisect
import math
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flinkey_sandbox import DEMO
from flinkey_sandbox.timeutil import parse_datetime

# How often the replayed sample runs came (a real fleet: every few minutes; twice a day is
# enough for every day of the charts to hold a reading).
SAMPLE_EVERY = timedelta(hours=12)
HISTORY = timedelta(days=14)  # the sandbox's history before its anchor
LEFT_OPEN_HOURS = 12  # settings.FLEETADMIN_LEFT_OPEN_HOURS in tests


class AsOf:
    """A sandbox History answering "latest" as at `moment` (what the API said back then)."""

    def __init__(self, history, moment: datetime):
        self.history = history
        self.until = moment.timestamp()

    def latest(self):
        times = self.history.times
        index = bisect.bisect_right(times, self.until) - 1
        if index < 0:
            return None
        return (times[index], self.history.lats[index], self.history.lons[index],
                self.history.odometers[index])

    def near(self, ts):
        return self.history.near(min(ts, self.until))


def sample_moments(anchor: datetime) -> list[datetime]:
    """The replayed sample runs' moments: every SAMPLE_EVERY over the history, oldest first."""
    first = anchor - HISTORY + SAMPLE_EVERY
    count = int((anchor - first) / SAMPLE_EVERY)
    return [first + k * SAMPLE_EVERY for k in range(count)]


def sync_from_sandbox(sandbox, fleet_id: int) -> None:
    """Fill the fleet store from the sandbox with the real sync: a full sync two weeks ago,
    a sample run every SAMPLE_EVERY since, and a full sync now (every run forced, as a
    worker would run them when due)."""
    from fleetstore import sync

    store = sandbox.store
    real = dict(store.locations)
    moments = sample_moments(sandbox.anchor)
    try:
        for number, moment in enumerate(moments):
            store.locations.update({car: AsOf(history, moment) for car, history in real.items()})
            run = (sync.full_sync if number == 0 else sync.sample_positions)(fleet_id, force=True)
            assert run is not None and not run.error and not run.cars_failed, run
    finally:
        store.locations.update(real)
    run = sync.full_sync(fleet_id, force=True)
    assert run is not None and not run.error and not run.cars_failed, run


@dataclass(frozen=True)
class Reading:
    at: datetime
    odometer: float | None
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class SandboxEvent:
    id: int
    car_id: int
    type: str
    at: datetime
    user_id: int | None
    latitude: float | None
    longitude: float | None


@dataclass
class Fleet:
    """The demo customer's cars as the sandbox serves them, and what follows from them."""

    sandbox: object
    customer_id: int = DEMO.customer_id
    names: dict[int, str] = field(init=False)
    products: dict[int, tuple] = field(init=False)
    events: dict[int, list[SandboxEvent]] = field(init=False)
    readings: dict[int, list[Reading]] = field(init=False)

    def __post_init__(self):
        store = self.sandbox.store
        with store.lock:
            cars = store.cars[self.customer_id]
            self.names = {car_id: car["name"] for car_id, car in cars.items()}
            self.plates = {car_id: car["licensePlate"] for car_id, car in cars.items()}
            self.products = {car_id: store.products.get(car_id, ()) for car_id in cars}
            self.events = {car_id: sorted(
                (self._event(store.events[event_id]) for event_id in store.car_events[car_id]),
                key=lambda event: (event.at, event.id)) for car_id in cars}
            histories = {car_id: store.locations.get(car_id) for car_id in cars}
        moments = [*sample_moments(self.sandbox.anchor), None]
        self.readings = {car_id: self._sampled(history, moments)
                         for car_id, history in histories.items() if history is not None}

    @staticmethod
    def _event(row: dict) -> SandboxEvent:
        return SandboxEvent(row["id"], row["carId"], row["type"],
                            parse_datetime(row["utcDateTime"]).astimezone(UTC),
                            row["userId"], row["latitude"], row["longitude"])

    @staticmethod
    def _sampled(history, moments) -> list[Reading]:
        """The samples the sync stored: the latest one at each run (one per moment)."""
        found = {}
        for moment in moments:
            sample = history.latest() if moment is None else AsOf(history, moment).latest()
            if sample is not None:
                found[sample[0]] = sample
        def value(number):
            return None if math.isnan(number) else number

        return [Reading(datetime.fromtimestamp(ts, UTC), value(odometer), value(lat), value(lon))
                for ts, lat, lon, odometer in sorted(found.values())]

    # --- the cars' state now ------------------------------------------------------------

    def has_iq(self, car_id: int) -> bool:
        return any(product["type"] == "flinkey IQ" for product in self.products[car_id])

    def latest(self, car_id: int) -> Reading | None:
        """The car's latest sample (what "latest location" answers now)."""
        readings = self.readings.get(car_id)
        return readings[-1] if readings else None

    def fix_at(self, car_id: int) -> datetime | None:
        """When the car's IQ last reported (with coordinates or without)."""
        latest = self.latest(car_id)
        return latest.at if latest is not None else None

    @staticmethod
    def service_end(product: dict) -> datetime | None:
        text = product["dongleTerminationTimeStamp"]
        return parse_datetime(text).astimezone(UTC) if text else None

    def service_ends(self, car_id: int) -> list[datetime]:
        return [end for product in self.products[car_id]
                if (end := self.service_end(product)) is not None]

    def last_event(self, car_id: int) -> SandboxEvent | None:
        events = self.events[car_id]
        return events[-1] if events else None

    # --- the car list's filters, by car names -------------------------------------------

    def located(self, now: datetime) -> set[int]:
        """Cars whose latest position has coordinates and is at most an hour old."""
        return {car for car in self.names if (latest := self.latest(car)) is not None
                and latest.latitude is not None and latest.longitude is not None
                and latest.at >= now - timedelta(hours=1)}

    def silent(self, now: datetime) -> set[int]:
        return {car for car in self.names if self.has_iq(car) and (
            (fix := self.fix_at(car)) is None or fix < now - timedelta(hours=24))}

    def open(self) -> set[int]:
        return {car for car in self.names
                if (event := self.last_event(car)) is not None and event.type == "CarOpened"}

    def left_open(self, now: datetime, hours: int = LEFT_OPEN_HOURS) -> set[int]:
        return {car for car in self.open()
                if self.last_event(car).at < now - timedelta(hours=hours)}

    def service_ended(self, now: datetime) -> set[int]:
        return {car for car in self.names if any(end <= now for end in self.service_ends(car))}

    def service_ending(self, now: datetime) -> set[int]:
        return {car for car in self.names if car not in self.service_ended(now) and any(
            now < end <= now + timedelta(days=30) for end in self.service_ends(car))}

    def without_iq(self) -> set[int]:
        return {car for car in self.names if not self.has_iq(car)}

    # --- days in a zone -----------------------------------------------------------------

    def events_between(self, start: datetime, end: datetime) -> list[SandboxEvent]:
        return [event for events in self.events.values() for event in events
                if start <= event.at < end]

    def km_between(self, start: datetime, end: datetime) -> float:
        """The fleet's km in [start, end): per car, its last stored reading before `end` less
        its last one before `start` (or, without one, its first one after it)."""
        total = 0.0
        for readings in self.odometers().values():
            before = [r.odometer for r in readings if r.at < start]
            inside = [r.odometer for r in readings if start <= r.at < end]
            if not inside:
                continue
            total += max(inside[-1] - (before[-1] if before else inside[0]), 0.0)
        return total

    def odometers(self) -> dict[int, list[Reading]]:
        """Each car's stored readings that have an odometer."""
        return {car: [r for r in readings if r.odometer is not None]
                for car, readings in self.readings.items()}

    def mileage(self, car_id: int, start: datetime, end: datetime):
        """(start reading, end reading, km) of the car over [start, end): at the start its
        last reading at or before it, else its first one in the period; at the end its last
        one before the end."""
        readings = self.odometers().get(car_id, [])
        before = [r for r in readings if r.at <= start]
        first = before[-1] if before else next(
            (r for r in readings if start <= r.at < end), None)
        until = [r for r in readings if r.at < end]
        last = until[-1] if until and first is not None and until[-1].at >= first.at else None
        km = round(last.odometer - first.odometer, 1) if first and last else None
        return first, last, km

    def days_used(self, car_id: int, start: datetime, end: datetime, zone) -> set[date]:
        """The days (in `zone`) in [start, end) with an event of the car, or with stored
        samples at different places or odometer readings."""
        days = {event.at.astimezone(zone).date() for event in self.events[car_id]
                if start <= event.at < end}
        per_day: dict[date, list[Reading]] = {}
        for reading in self.readings.get(car_id, ()):
            if start <= reading.at < end:
                per_day.setdefault(reading.at.astimezone(zone).date(), []).append(reading)
        for day, readings in per_day.items():
            for name in ("latitude", "longitude", "odometer"):
                if len({getattr(r, name) for r in readings} - {None}) > 1:
                    days.add(day)
        return days

    def sessions(self, start: datetime, end: datetime, lookback=timedelta(days=7)):
        """(car, user, opened at, closed at or None) of every opening whose session overlaps
        [start, end): its next event ends it when that is a closing."""
        found = []
        for car, events in self.events.items():
            for index, event in enumerate(events):
                if event.type != "CarOpened" or not (start - lookback <= event.at < end):
                    continue
                after = events[index + 1] if index + 1 < len(events) else None
                closed = after.at if after is not None and after.type == "CarClosed" else None
                if event.at >= start or after is None or after.at >= start:
                    found.append((car, event.user_id, event.at, closed))
        return found


def midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)


def today_in(zone: ZoneInfo, now: datetime) -> date:
    return now.astimezone(zone).date()
