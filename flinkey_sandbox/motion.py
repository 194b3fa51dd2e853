"""Where the cars go: cities, street-like routes, day plans and lazily sampled IQ histories."""

# Everything here is a pure function of (seed, car id, day) plus a few anchor-relative
# behaviours (parked for days, silent, offline), so a car's history can be made a day at a
# time, on first use, and comes out the same every time.

import bisect
import math
import random
import threading
from array import array
from dataclasses import dataclass, field
from datetime import UTC, datetime

from .state import History
from .timeutil import berlin_local

DAY = 86_400
# Plans and samples are made a day at a time. A day starts at 01:30 UTC (02:30 or 03:30 in
# Berlin), when no car is on the road, so no trip crosses from one day into the next and
# the DST switch (01:00 UTC) happens before the day starts.
DAY_START_UTC = 5_400
KM_PER_DEGREE = 111.2

Point = tuple[float, float]
Place = tuple[str, float, float]


@dataclass(frozen=True)
class City:
    """Depots, places the cars drive to, and a ring road that long trips follow."""

    name: str
    depots: tuple[Place, ...]
    sites: tuple[Place, ...]
    ring: tuple[Point, ...]  # in driving order, closed (the last node links to the first)
    coslat: float = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "coslat", math.cos(math.radians(self.depots[0][1])))

    def nearest_ring_node(self, p: Point) -> int:
        """Index of the ring node nearest to p."""
        c2 = self.coslat * self.coslat
        best, found = math.inf, 0
        for k, (lat, lon) in enumerate(self.ring):
            d = (lat - p[0]) ** 2 + (lon - p[1]) ** 2 * c2
            if d < best:
                best, found = d, k
        return found

    def km(self, a: Point, b: Point) -> float:
        """Flat-earth distance; exact enough inside one city."""
        return math.hypot(
            (b[0] - a[0]) * KM_PER_DEGREE, (b[1] - a[1]) * KM_PER_DEGREE * self.coslat
        )


# Coordinates are real places (rounded); the ring roads follow Munich's Mittlerer Ring and
# Hamburg's Ring 2 with the Elbe crossings (Elbtunnel, Köhlbrandbrücke, Elbbrücken).
MUNICH_CITY = City(
    "München",
    depots=(
        ("Betriebshof Moosach", 48.179700, 11.529600),
        ("Heizkraftwerk Süd", 48.111000, 11.556000),
    ),
    sites=(
        ("Marienplatz", 48.137154, 11.576124),
        ("Olympiapark", 48.173100, 11.546600),
        ("Flughafen München", 48.353800, 11.786100),
        ("Hauptbahnhof", 48.140200, 11.560000),
        ("Ostbahnhof", 48.127000, 11.605000),
        ("Messe Riem", 48.136400, 11.690700),
        ("Klinikum Großhadern", 48.110700, 11.469700),
        ("Forschungszentrum Garching", 48.265000, 11.671000),
        ("Allianz Arena", 48.218800, 11.624700),
        ("Pasing", 48.149600, 11.461500),
        ("Münchner Freiheit", 48.162000, 11.586600),
        ("Max-Weber-Platz", 48.135500, 11.598500),
        ("Tegernseer Landstraße", 48.111000, 11.587000),
        ("Harras", 48.118000, 11.536500),
        ("Laim", 48.140000, 11.503000),
        ("Neuperlach Zentrum", 48.101000, 11.645000),
        ("Arabellapark", 48.153000, 11.618000),
        ("Milbertshofen", 48.184000, 11.570000),
        ("Freimann", 48.204000, 11.610000),
        ("Trudering", 48.126000, 11.665000),
        ("Solln", 48.078000, 11.525000),
        ("Rotkreuzplatz", 48.153000, 11.533000),
        ("Obersendling", 48.096000, 11.538000),
        ("Berg am Laim", 48.127000, 11.630000),
    ),
    ring=(
        (48.177500, 11.572000),  # Petuelring
        (48.174000, 11.596000),  # Schenkendorfstraße
        (48.164000, 11.607000),  # Isarring
        (48.156000, 11.616000),  # Effnerplatz
        (48.145000, 11.619000),  # Richard-Strauss-Straße
        (48.133000, 11.618000),  # Leuchtenbergring
        (48.118000, 11.616000),  # Innsbrucker Ring
        (48.107000, 11.572000),  # Candidplatz
        (48.110000, 11.550000),  # Brudermühlstraße
        (48.113000, 11.529000),  # Heckenstallerstraße
        (48.126000, 11.522000),  # Garmischer Straße
        (48.142000, 11.533000),  # Donnersberger Brücke
        (48.156000, 11.538000),  # Landshuter Allee
        (48.176000, 11.540000),  # Georg-Brauchle-Ring
    ),
)
HAMBURG_CITY = City(
    "Hamburg",
    depots=(
        ("Depot Waltershof", 53.530000, 9.920000),
        ("Lager Billbrook", 53.530000, 10.080000),
    ),
    sites=(
        ("Jungfernstieg", 53.553000, 9.993000),
        ("Flughafen Hamburg", 53.630400, 9.988200),
        ("Hauptbahnhof", 53.553000, 10.006900),
        ("HafenCity", 53.541300, 9.984100),
        ("Altona", 53.551000, 9.935000),
        ("Wandsbek", 53.572000, 10.068000),
        ("Harburg", 53.460000, 9.984000),
        ("Eimsbüttel", 53.576000, 9.953000),
        ("Barmbek", 53.587000, 10.044000),
        ("Winterhude", 53.588000, 10.001000),
        ("Reeperbahn", 53.549600, 9.962000),
        ("Billstedt", 53.541000, 10.105000),
        ("Ottensen", 53.553000, 9.927000),
        ("Eppendorf", 53.590000, 9.984000),
        ("Hammerbrook", 53.545000, 10.025000),
    ),
    ring=(
        (53.533000, 9.908000),  # Elbtunnel, south
        (53.521000, 9.945000),  # Köhlbrandbrücke
        (53.510000, 10.000000),  # Wilhelmsburg
        (53.534000, 10.025000),  # Elbbrücken
        (53.553000, 10.055000),  # Hamm
        (53.570000, 10.062000),  # Wandsbek
        (53.587000, 10.045000),  # Barmbek
        (53.596000, 10.005000),  # Winterhude
        (53.588000, 9.972000),  # Hoheluft
        (53.574000, 9.938000),  # Stellingen
        (53.556000, 9.898000),  # Elbtunnel, north
    ),
)


class Trip:
    """One drive: departure and arrival (epoch seconds) along a route of `km` length.

    The planned route is kept as its corner points; the polyline (needed only to sample a
    day the trip happens on) is drawn on first use. Its length is known from the start:
    a street leg's two corners make it exactly as long as the Manhattan distance.
    """

    __slots__ = ("depart", "arrive", "km", "_city", "_points", "_corners", "_line")

    def __init__(self, depart: int, arrive: int, city: City, points, corners, km: float):
        self.depart, self.arrive, self.km = depart, arrive, km
        self._city, self._points, self._corners = city, points, corners
        self._line = None

    @property
    def origin(self) -> Point:
        return self._points[0]

    @property
    def destination(self) -> Point:
        return self._points[-1]

    def line(self) -> tuple[list, list, list]:
        """(lats, lons, cumulative km) of the polyline."""
        if self._line is None:
            points, corners, city = self._points, self._corners, self._city
            lats, lons = [points[0][0]], [points[0][1]]
            for k in range(len(points) - 1):
                p, q = points[k], points[k + 1]
                corner = corners.get(k)
                if corner is not None:  # a street corner: north-south first, or east-west
                    f, north_first = corner
                    if north_first:
                        mid = p[0] + (q[0] - p[0]) * f
                        lats += [mid, mid]
                        lons += [p[1], q[1]]
                    else:
                        mid = p[1] + (q[1] - p[1]) * f
                        lats += [p[0], q[0]]
                        lons += [mid, mid]
                lats.append(q[0])
                lons.append(q[1])
            cum = [0.0]
            for k in range(1, len(lats)):
                cum.append(cum[-1] + city.km((lats[k - 1], lons[k - 1]), (lats[k], lons[k])))
            self._line = lats, lons, cum
        return self._line

    def at(self, km: float) -> Point:
        """The point `km` along the route."""
        lats, lons, cum = self.line()
        i = min(max(bisect.bisect_right(cum, km), 1), len(cum) - 1)
        span = cum[i] - cum[i - 1]
        f = 0.0 if span <= 0 else (km - cum[i - 1]) / span
        return (
            lats[i - 1] + (lats[i] - lats[i - 1]) * f,
            lons[i - 1] + (lons[i] - lons[i - 1]) * f,
        )


def route(rng: random.Random, city: City, a: Point, b: Point) -> tuple[list, dict, float]:
    """A street-like route from a to b: corner points, street corners, length in km."""
    points = [a]
    direct = city.km(a, b)
    if direct > 6:  # across town: onto the ring road, along it, off again
        ring = city.ring
        i, j = city.nearest_ring_node(a), city.nearest_ring_node(b)
        if i != j:
            n = len(ring)
            forward, backward = (j - i) % n, (i - j) % n
            step = 1 if forward <= backward else -1
            nodes = [ring[(i + step * k) % n] for k in range(min(forward, backward) + 1)]
            along = sum(city.km(p, q) for p, q in zip(nodes, nodes[1:], strict=False))
            if city.km(a, nodes[0]) + along + city.km(nodes[-1], b) < 1.6 * direct:
                points.extend(nodes)
    points.append(b)
    # Local legs (the whole trip, or the way to and from the ring) turn corners like city
    # streets do; ring and radial roads are kept as they are.
    corners = {}
    km = 0.0
    last = len(points) - 2
    for k in range(len(points) - 1):
        p, q = points[k], points[k + 1]
        straight = city.km(p, q)
        if (k == 0 or k == last) and straight > 0.3:
            corners[k] = (rng.uniform(0.25, 0.75), rng.random() < 0.5)
            km += abs(q[0] - p[0]) * KM_PER_DEGREE + abs(q[1] - p[1]) * KM_PER_DEGREE * city.coslat
        else:
            km += straight
    return points, corners, km


@dataclass
class Profile:
    """How one car is used: where it sleeps, how much it drives, how its IQ reports."""

    car_id: int
    city: City
    home: Point  # where it spends the night: a depot bay or a driver's street
    depot: Point
    favourites: tuple[Point, ...]
    odometer: float  # km at the end of the window, all planned trips done
    heartbeat: int | None  # seconds between samples while parked; None: silent when parked
    phase: int
    legs: tuple[int, int]  # stops per working day
    start_hour: float  # local time of the first departure on working days
    weekend_rate: float
    evening_rate: float  # chance of an evening call-out (on-call cars)
    gps_loss: float = 0.015  # share of moving samples without a fix (tunnels, garages)
    idle: bool = False  # not driven at all in the window
    parked_from: float | None = None  # no trips from then on ("stationary for days")
    silent_from: float | None = None  # the IQ stops reporting then
    offline: tuple[tuple[float, float], ...] = ()  # no samples inside these windows


def _near(rng: random.Random, place: Place | Point, spread: float) -> Point:
    lat, lon = (place[1], place[2]) if len(place) == 3 else place
    return (lat + rng.uniform(-spread, spread), lon + rng.uniform(-spread, spread) * 1.5)


def make_profile(
    seed: int, car_id: int, city: City, start: float, end: float, on_call: bool = False
) -> Profile:
    """A car's usage, drawn from its own stream (the same whatever else is seeded)."""
    rng = random.Random(f"{seed}:profile:{car_id}")
    depot = _near(rng, rng.choice(city.depots), 4e-4)  # its own bay at the depot
    take_home = rng.random() < 0.3
    home = _near(rng, rng.choice(city.sites), 0.01) if take_home else depot
    favourites = tuple(_near(rng, rng.choice(city.sites), 3e-3) for _ in range(rng.randint(2, 4)))
    heartbeat = rng.choice((None, 3600, 3600, 7200, 7200, 14400))
    profile = Profile(
        car_id=car_id,
        city=city,
        home=home,
        depot=depot,
        favourites=favourites,
        odometer=round(rng.uniform(8000, 95000), 1),  # at the end of the window
        heartbeat=heartbeat,
        phase=rng.randrange(heartbeat or 1),
        legs=rng.choice(((2, 4), (3, 5), (3, 6), (4, 7))),
        start_hour=rng.uniform(6.3, 8.8),
        weekend_rate=0.5 if on_call else rng.choice((0.0, 0.05, 0.15)),
        evening_rate=0.25 if on_call else 0.0,
    )
    roll = rng.random()
    if roll < 0.07:
        profile.parked_from = end - rng.uniform(3, 9) * DAY
    elif roll < 0.17:
        profile.offline = offline_windows(rng, start, end)
    elif roll < 0.21:
        profile.silent_from = end - rng.uniform(2, 5) * DAY
    return profile


def offline_windows(rng: random.Random, start: float, end: float) -> tuple:
    """A whole day and a few hours-long stretches without samples."""
    day = start + rng.uniform(2, 10) * DAY
    windows = [(day, day + DAY + rng.uniform(0, 4 * 3600))]
    for _ in range(rng.randint(1, 3)):
        begin = start + rng.uniform(0, 13) * DAY
        windows.append((begin, begin + rng.uniform(3, 10) * 3600))
    return tuple(sorted(windows))


def _day_frame(d: int) -> tuple[float, int]:
    """(UTC epoch of local midnight, weekday) of day number `d`."""
    noon = d * DAY + DAY_START_UTC + 10 * 3600  # 11:30 UTC, around noon in Berlin
    local = berlin_local(datetime.fromtimestamp(noon, UTC))
    return noon - (local.hour * 3600 + local.minute * 60 + local.second), local.weekday()


def _destination(rng: random.Random, profile: Profile) -> Point:
    roll = rng.random()
    if roll < 0.4:
        return _near(rng, rng.choice(profile.favourites), 6e-4)  # a regular customer
    if roll < 0.9:
        return _near(rng, rng.choice(profile.city.sites), 4e-3)  # somewhere in that quarter
    return _near(rng, profile.depot, 3e-4)


def _stop_seconds(rng: random.Random) -> float:
    roll = rng.random()
    if roll < 0.2:
        return rng.uniform(6, 12) * 60  # a quick delivery: shorter than a "stop"
    if roll < 0.85:
        return rng.uniform(15, 75) * 60
    return rng.uniform(75, 180) * 60


def _trip(
    rng, city: City, a: Point, b: Point, t: float, midnight: float, shortest: float = 0.3
) -> Trip | None:
    points, corners, km = route(rng, city, a, b)
    if km < shortest or km == 0:
        return None
    speed = min(65.0, 16.0 + 2.2 * km) * rng.uniform(0.85, 1.15)  # km/h: city, then ring
    hour = (t - midnight) / 3600
    if 7 <= hour < 9 or 16 <= hour < 18.5:
        speed *= 0.8  # rush hour
    duration = km / speed * 3600 + rng.uniform(30, 120)  # plus parking
    return Trip(int(t), int(t + duration), city, points, corners, km)


def plan_day(seed: int, profile: Profile, d: int) -> list[Trip]:
    """The car's trips on day `d`; each day starts and ends at the car's home."""
    if profile.idle:
        return []
    rng = random.Random(f"{seed}:day:{profile.car_id}:{d}")
    midnight, weekday = _day_frame(d)
    if weekday < 5:
        if rng.random() < 0.05:
            return []  # driver off sick, car stays home
        t = midnight + profile.start_hour * 3600 + rng.uniform(-1800, 2700)
        stops = rng.randint(*profile.legs)
        home_by = midnight + rng.uniform(15.5, 18.5) * 3600
    elif rng.random() < profile.weekend_rate:
        t = midnight + rng.uniform(9, 14) * 3600
        stops = rng.randint(1, 2)
        home_by = t + 5 * 3600
    else:
        return []
    trips: list[Trip] = []
    here = profile.home
    for _ in range(stops):
        trip = _trip(rng, profile.city, here, _destination(rng, profile), t, midnight)
        if trip is None:
            continue
        trips.append(trip)
        here = trip.destination
        t = trip.arrive + _stop_seconds(rng)
        if t > home_by:
            break
    if trips:  # home, however short the way: every day ends where the next one starts
        back = _trip(rng, profile.city, here, profile.home, t, midnight, shortest=0)
        if back is not None:
            trips.append(back)
    if rng.random() < profile.evening_rate:  # call-out: there and back in the evening
        after = trips[-1].arrive + 1800 if trips else 0
        t = max(midnight + rng.uniform(19.5, 21.5) * 3600, after)
        out = _trip(rng, profile.city, profile.home, _destination(rng, profile), t, midnight)
        if out is not None:
            trips.append(out)
            t = out.arrive + rng.uniform(20, 60) * 60
            back = _trip(rng, profile.city, out.destination, profile.home, t, midnight, 0)
            if back is not None:
                trips.append(back)
    return trips


def day_of(ts: float) -> int:
    """The day number (see DAY_START_UTC) a moment belongs to."""
    return int((ts - DAY_START_UTC) // DAY)


class Plan:
    """A car's trips over the window, planned a day at a time on first use.

    The odometer is anchored at the end of the window (`profile.odometer` once every planned
    trip is done) and counted backwards, so where a car is now, or was yesterday, needs the
    plans of those days only — not of the two weeks before.
    """

    def __init__(self, seed: int, profile: Profile, start: float, end: float):
        self.seed, self.profile, self.end = seed, profile, end
        self.first_day, self.last_day = day_of(start), day_of(end)
        self._days: dict[int, list[Trip]] = {}
        self._km_from: dict[int, float] = {self.last_day + 1: 0.0}  # km driven from day d on
        self._lock = threading.RLock()

    def day(self, d: int) -> list[Trip]:
        """The trips of day `d` (inside the window) in time order."""
        trips = self._days.get(d)
        if trips is None:
            with self._lock:
                trips = self._days.get(d)
                if trips is None:
                    trips = plan_day(self.seed, self.profile, d)
                    cutoff = self.profile.parked_from
                    if cutoff is not None:  # parked for days, or left open: no more trips
                        trips = [trip for trip in trips if trip.arrive <= cutoff]
                    # Trips that start after the anchor have not happened yet.
                    trips = self._days[d] = [trip for trip in trips if trip.depart <= self.end]
        return trips

    def trips(self) -> list[Trip]:
        """Every trip of the window in time order."""
        return [trip for d in range(self.first_day, self.last_day + 1) for trip in self.day(d)]

    def start_odometer(self, d: int) -> float:
        """The odometer when day `d` starts."""
        with self._lock:
            k = d
            while k not in self._km_from:
                k += 1
            while k > d:
                k -= 1
                self._km_from[k] = self._km_from[k + 1] + sum(t.km for t in self.day(k))
            return self.profile.odometer - self._km_from[d]

    def start_position(self, d: int) -> Point:
        """Where the car stands when day `d` starts."""
        # Every day ends at home, except the one its trips were cut short on (cutoff).
        cutoff = self.profile.parked_from
        if cutoff is None or day_start(d) <= cutoff:
            return self.profile.home
        for k in range(min(day_of(cutoff), d - 1), self.first_day - 1, -1):
            trips = self.day(k)
            if trips:
                return trips[-1].destination
        return self.profile.home

    def position_at(self, ts: float) -> Point:
        """Where the car is (parked or on the road) at a moment inside the window."""
        d = min(max(day_of(ts), self.first_day), self.last_day)
        position = self.start_position(d)
        for trip in self.day(d):
            if trip.depart > ts:
                break
            if trip.arrive >= ts:
                return trip.at(trip.km * (ts - trip.depart) / max(trip.arrive - trip.depart, 1))
            position = trip.destination
        return position


def day_start(d: int) -> int:
    """Epoch seconds at which day number `d` starts."""
    return d * DAY + DAY_START_UTC


class Sampler:
    """Makes one car's IQ samples a day at a time (for a lazily built History)."""

    def __init__(self, seed: int, start: float, end: float, make_profile, plan=None):
        self.seed, self.start, self.end = seed, int(start), int(end)
        self._make_profile = make_profile  # called once, on first use
        self._profile = plan.profile if plan is not None else None
        self._plan = plan

    @property
    def profile(self) -> Profile:
        if self._profile is None:
            self._profile = self._make_profile()
        return self._profile

    @property
    def plan(self) -> Plan:
        if self._plan is None:  # the plan itself is made on first use, too
            self._plan = Plan(self.seed, self.profile, self.start, self.end)
        return self._plan

    def bounds(self) -> list[int]:
        """Start of each chunk (one per day) of the history."""
        first, last = day_of(self.start), day_of(self.end)
        return [self.start] + [day_start(d) for d in range(first + 1, last + 1)]

    def history(self) -> History:
        """A History that samples each day on first access."""
        first = day_of(self.start)
        return History(self.bounds(), lambda i: self.sample_day(first + i))

    def sample_day(self, d: int) -> tuple[array, array, array, array]:
        """(times, lats, lons, odometers) of day `d`, clipped to the window."""
        plan, profile = self.plan, self.profile
        rng = random.Random(f"{self.seed}:samples:{profile.car_id}:{d}")
        lo, hi = max(self.start, day_start(d)), min(self.end, day_start(d + 1) - 1)
        silent = profile.silent_from
        offline = profile.offline
        times, lats, lons, odos = array("q"), array("d"), array("d"), array("d")

        def emit(t: int, lat: float, lon: float, odometer: float) -> None:
            if t < lo or t > hi or (silent is not None and t >= silent):
                return
            for a, b in offline:
                if a <= t < b:
                    return
            times.append(t)
            lats.append(round(lat, 6) if lat == lat else lat)
            lons.append(round(lon, 6) if lon == lon else lon)
            odos.append(round(odometer, 1))

        def parked(a: int, b: int, position: Point, odometer: float) -> None:
            # Sparse heartbeats on a fixed grid (a car parked overnight keeps its rhythm).
            beat = profile.heartbeat
            if beat is None:
                return
            g = profile.phase + -(-(a - profile.phase) // beat) * beat
            while g < b:
                emit(
                    g,
                    position[0] + rng.gauss(0, 2.5e-5),
                    position[1] + rng.gauss(0, 2.5e-5),
                    odometer,
                )
                g += beat

        position, odometer = plan.start_position(d), plan.start_odometer(d)
        cursor = day_start(d)
        for trip in plan.day(d):
            parked(cursor, trip.depart - 60, position, odometer)
            span = max(trip.arrive - trip.depart, 1)
            emit(trip.depart, position[0], position[1], odometer)  # ignition on
            t = trip.depart + rng.randint(60, 120)
            while t < trip.arrive:
                s = trip.km * (t - trip.depart) / span
                if rng.random() < profile.gps_loss:
                    lat = lon = math.nan  # no fix: tunnel, underground car park
                else:
                    lat, lon = trip.at(s)
                    lat, lon = lat + rng.gauss(0, 4e-5), lon + rng.gauss(0, 4e-5)
                emit(t, lat, lon, odometer + s)
                t += rng.randint(60, 120)
            odometer += trip.km
            position = trip.destination
            emit(trip.arrive, position[0], position[1], odometer)  # parked: ignition off
            cursor = trip.arrive + 61
        parked(cursor, day_start(d + 1), position, odometer)
        return times, lats, lons, odos
