"""Deterministic demo data: a Munich utility's fleet, a Hamburg fleet, history and events."""

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from .eventlog import Actor, Archive, CarEvents, coordinates
from .motion import DAY, HAMBURG_CITY, MUNICH_CITY, Plan, Profile, Sampler, day_of, day_start
from .motion import make_profile as _make_profile
from .state import Manager, Store
from .timeutil import berlin_local, local_text, utc_text

SEED = 20240611


@dataclass(frozen=True)
class Demo:
    """Credentials and well-known ids of the seeded data (stable across runs)."""

    api_key: str = "5f1c0a9e7b2d4c6f8a3e1b0d9c7a5f3e"
    username: str = "api-manager@fleetadmin.example"
    password: str = "sandbox-demo-password"  # noqa: S105 - public demo account
    customer_id: int = 1001  # 62 cars in Munich
    customer_name: str = "Stadtwerke München Fuhrpark"
    other_customer_id: int = 1002  # 12 cars in Hamburg, same manager
    other_customer_name: str = "Hanse Logistik Hamburg GmbH"
    hidden_customer_id: int = 1003  # exists, but the manager cannot reach it
    user_id: int = 301  # a user of customer_id
    other_user_id: int = 315  # a user of other_customer_id
    car_id: int = 2001  # Box + IQ: products, location history, events
    box_only_car_id: int = 2002  # Box only: events, location answers all-null
    iq_only_car_id: int = 2003  # IQ only: location history, no events
    bare_car_id: int = 2004  # no products at all
    other_car_id: int = 2063  # first car of other_customer_id
    hidden_car_id: int = 2075  # a car of hidden_customer_id
    # Cars with a story (see README): all of customer_id, same ids whatever the anchor.
    large_event_car_id: int = 2009  # Box only; 100,000 more events with large_event_car
    stationary_car_id: int = 2010  # IQ only: parked for the last six days
    offline_car_id: int = 2018  # Box + IQ: IQ offline a whole day and for hours at a time
    left_open_car_id: int = 2020  # Box + IQ: last event CarOpened 48 h before the anchor
    no_events_car_id: int = 2022  # Box only, not used in the window: no events at all
    open_car_ids: tuple[int, ...] = (2023, 2027)  # last event CarOpened ~3 h / ~6 h before
    silent_car_id: int = 2048  # IQ only: stopped reporting three days before the anchor
    first_extra_car_id: int = 2080  # the first of the extra_cars
    portal_user_id: int = 302  # a dispatcher who also opens cars from the web portal
    integration_user_id: int = 314  # customer_id's fleet-integration bot (integer coordinates)
    hostile_user_agent: str = (
        "<script>alert('ua')</script> ${alert(1)} `id` {{7*7}} \"; DROP TABLE events;--"
    )


DEMO = Demo()

BOX = "flinkey Box"
IQ = "flinkey IQ"

# (brand, model, WMI, VDS stem, electric) — WMIs are the makers' real prefixes.
MODELS = [
    ("Volkswagen", "Golf", "WVW", "ZZZCD", False),
    ("Volkswagen", "ID.4", "WVG", "ZZZE2", True),
    ("Volkswagen", "ID.3", "WVW", "ZZZE1", True),
    ("Volkswagen", "Passat Variant", "WVW", "ZZZ3C", False),
    ("Volkswagen", "Caddy", "WV2", "ZZZSK", False),
    ("BMW", "3er Touring", "WBA", "8E110", False),
    ("BMW", "i4 eDrive40", "WBY", "71AW0", True),
    ("Audi", "A4 Avant", "WAU", "ZZZF4", False),
    ("Audi", "Q4 e-tron", "WAU", "ZZZFZ", True),
    ("Mercedes-Benz", "C-Klasse T-Modell", "WDD", "2052X", False),
    ("Mercedes-Benz", "EQA 250", "W1N", "24370", True),
    ("Mercedes-Benz", "Sprinter", "WDB", "90663", False),
    ("Opel", "Corsa-e", "W0L", "0UBF6", True),
    ("Opel", "Vivaro-e", "W0V", "ZZZK0", True),
    ("Škoda", "Octavia Combi", "TMB", "JJ7NX", False),
    ("Škoda", "Enyaq iV", "TMB", "AC7NY", True),
    ("Ford", "Transit Custom", "WF0", "YXXTT", False),
    ("Ford", "Transit", "WF0", "XXTTG", False),
]

MUNICH_DEPARTMENTS = [
    "Netzbetrieb",
    "Bereitschaft",
    "Verwaltung",
    "Wasserwerk",
    "Fernwärme",
    "Bäder",
    "Kundenservice",
    "Werkstatt",
    "Pool",
    "Stromnetz",
    "Messdienst",
    "Glasfaser",
]
HAMBURG_DEPARTMENTS = ["Kurier", "Hafen", "Lager", "Disposition", "Service"]

# Names that must survive every escaping context (HTML, JS template literals, JSON, CSV).
HOSTILE_NAMES = [
    "Testwagen <img src=x onerror=alert(1)>",
    "Müller & Söhne Sprinter",
    '"Blauer Blitz" Passat',
    "O'Brien's ID.3",
    "Caddy `Werkstatt` 2",
    "Corsa ${alert(1)}",
    "Golf Laufwerk C:\\1 Nord",
]

# Cars (by position in the Munich fleet) whose fields are null whatever the dice say.
SPARSE_CARS = {17: ("brand", "model"), 18: ("vin", "licensePlate"), 19: ("description",)}

# Real places the cars drive between: (name, latitude, longitude); the first is the depot.
MUNICH = [
    ("Betriebshof Moosach", 48.179700, 11.529600),
    ("Marienplatz", 48.137154, 11.576124),
    ("Olympiapark", 48.173100, 11.546600),
    ("Flughafen München", 48.353800, 11.786100),
    ("Hauptbahnhof", 48.140200, 11.560000),
    ("Ostbahnhof", 48.127000, 11.605000),
    ("Messe Riem", 48.136400, 11.690700),
    ("Klinikum Großhadern", 48.110700, 11.469700),
    ("Forschungszentrum Garching", 48.265000, 11.671000),
    ("Heizkraftwerk Süd", 48.111000, 11.556000),
    ("Allianz Arena", 48.218800, 11.624700),
    ("Pasing", 48.149600, 11.461500),
]
HAMBURG = [
    ("Depot Waltershof", 53.530000, 9.920000),
    ("Jungfernstieg", 53.553000, 9.993000),
    ("Flughafen Hamburg", 53.630400, 9.988200),
    ("Hauptbahnhof", 53.553000, 10.006900),
    ("HafenCity", 53.541300, 9.984100),
    ("Altona", 53.551000, 9.935000),
    ("Wandsbek", 53.572000, 10.068000),
    ("Harburg", 53.460000, 9.984000),
]
STUTTGART = [("Autohaus Mitte", 48.775800, 9.182900)]

FIRST_NAMES = [
    "Anna",
    "Lukas",
    "Sophie",
    "Maximilian",
    "Marie",
    "Felix",
    "Laura",
    "Jonas",
    "Lea",
    "Paul",
    "Hannah",
    "Leon",
    "Emma",
    "Elias",
    "Mia",
    "Ben",
    "Zeynep",
    "Mehmet",
    "Olga",
]
LAST_NAMES = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Hoffmann",
    "Schäfer",
    "Koch",
    "Richter",
    "Yılmaz",
    "Nowak",
    "Huber",
    "Lehmann",
]

USER_AGENTS = [
    "flinkey/3.14.2 (de.witte.flinkey; build:1402; iOS 17.5.1) Alamofire/5.9.1",
    "flinkey/3.14.2 (de.witte.flinkey; build:1402; iOS 16.7.8) Alamofire/5.9.1",
    "flinkey/3.13.0 (de.witte.flinkey; build:1371; iOS 17.4.1) Alamofire/5.8.1",
    "flinkey/3.14.1 (Android 14; SM-S911B; build 31401) okhttp/4.12.0",
    "flinkey/3.14.1 (Android 13; Pixel 7; build 31401) okhttp/4.12.0",
    "flinkey/3.12.5 (Android 12; SM-A525F; build 31205) okhttp/4.11.0",
]

# The web portal and the customer's fleet integration open cars, too.
PORTAL_AGENT = (
    "flinkey-portal/2024.11.2 (Web) Mozilla/5.0 (Windows NT 10.0; Win64; x64) "
    "AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
INTEGRATION_AGENT = "fleet-sync/2.7.0 (+https://fleet-integration.example/bot) python-httpx/0.27.2"

# VIN check digit (ISO 3779 / North American scheme); I, O and Q never occur in a VIN.
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = [8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2]
# Letter pairs German registration offices do not issue.
BANNED_PLATE_LETTERS = {"SS", "SA", "HJ", "KZ", "NS", "AH", "HH"}


def default_anchor() -> datetime:
    """Now, truncated to the hour, in UTC."""
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def make_vin(rng: random.Random, wmi: str, stem: str) -> str:
    """A 17-character VIN with a correct check digit."""
    year = rng.choice("JKLMNPR")  # model years 2018–2024
    plant = rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ")
    vin = wmi + stem + "0" + year + plant + f"{rng.randrange(10**6):06d}"
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    check = "X" if total % 11 == 10 else str(total % 11)
    return vin[:8] + check + vin[9:]


def make_plate(rng: random.Random, city: str, electric: bool) -> str:
    """A German plate such as `M-FK 2041` (`E` suffix for electric cars)."""
    while True:
        letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXZ") for _ in range(2))
        if letters not in BANNED_PLATE_LETTERS:
            break
    number = rng.randrange(1, 10 ** rng.choice((3, 4)))
    return f"{city}-{letters} {number}" + ("E" if electric else "")


def make_car(
    rng: random.Random, car_id: int, name: str, city: str, departments: list[str], place: str
) -> tuple[dict, bool]:
    """A car record in API shape, and whether it is electric."""
    brand, model, wmi, stem, electric = rng.choice(MODELS)
    car = {
        "id": car_id,
        "name": name,
        "description": (
            f"Poolfahrzeug {rng.choice(departments)}, Standort {place}"
            if rng.random() > 0.2
            else None
        ),
        "vin": make_vin(rng, wmi, stem) if rng.random() > 0.08 else None,
        "licensePlate": make_plate(rng, city, electric) if rng.random() > 0.05 else None,
        "brand": brand if rng.random() > 0.05 else None,
        "model": model if rng.random() > 0.05 else None,
    }
    return car, electric


def _model_of(car: dict) -> str:
    return car["model"] or "Fahrzeug"


def service_end(rng: random.Random, anchor: datetime) -> str | None:
    """dongleTerminationTimeStamp: mostly 1–2 years ahead, some soon, some past, some null."""
    roll = rng.random()
    if roll < 0.12:
        return None
    if roll < 0.22:
        days = rng.randint(1, 30)
    elif roll < 0.30:
        days = -rng.randint(1, 120)
    else:
        days = rng.randint(365, 730)
    day = (anchor + timedelta(days=days)).replace(hour=0)
    return utc_text(day)


class _Ids:
    """Global id sequences, like database identity columns."""

    def __init__(self):
        self.product = 8001


def make_products(
    rng: random.Random, ids: _Ids, anchor: datetime, kinds: tuple[str, ...]
) -> tuple[dict, ...]:
    """Product records for the given kinds (at most one Box and one IQ)."""
    products = []
    for kind in kinds:
        if kind == BOX:
            unique = ":".join(f"{rng.randrange(256):02X}" for _ in range(6))
            serial = f"FKB2-{rng.randrange(10**7):07d}"
            sap = rng.choice(("4001287", "4001288"))
        else:
            unique = f"35{rng.randrange(10**13):013d}"  # IMEI-like: the IQ has a modem
            serial = f"FKIQ-{rng.randrange(10**8):08d}"
            sap = "4100310"
        products.append(
            {
                "id": ids.product,
                "uniqueId": unique,
                "serialNumber": serial,
                "sapNumber": sap,
                "dongleTerminationTimeStamp": service_end(rng, anchor),
                "type": kind,
            }
        )
        ids.product += 1
    return tuple(products)


def pick_kinds(rng: random.Random) -> tuple[str, ...]:
    """Which products a seeded car carries."""
    roll = rng.random()
    if roll < 0.45:
        return (BOX, IQ)
    if roll < 0.70:
        return (BOX,)
    if roll < 0.78:
        return (IQ,)
    return ()


CITIES = {DEMO.customer_id: MUNICH_CITY, DEMO.other_customer_id: HAMBURG_CITY}


class Cast:
    """Who opens a customer's cars: app users, a dispatcher on the portal, a bot, a tester."""

    def __init__(self, seed: int, users: list[int]):
        humans = users[:-1]  # the last user of each customer is its integration account
        self.humans = humans
        self.apps = {
            u: Actor(u, random.Random(f"{seed}:agent:{u}").choice(USER_AGENTS), "phone")
            for u in humans
        }
        self.portal = Actor(humans[1], PORTAL_AGENT, "none")
        self.bot = Actor(users[-1], INTEGRATION_AGENT, "int")
        # Someone whose user agent string is an attack: every screen must show it inert.
        self.hostile = Actor(humans[-1], DEMO.hostile_user_agent, "phone")

    def pick(self, rng: random.Random, drivers: list[int]) -> Actor:
        """Mostly the car's regular drivers; sometimes a colleague, the portal or the bot."""
        roll = rng.random()
        if roll < 0.80:
            return self.apps[rng.choice(drivers)]
        if roll < 0.87:
            return self.apps[rng.choice(self.humans)]
        if roll < 0.93:
            return self.portal
        if roll < 0.99:
            return self.bot
        return self.hostile


def _event(moment: float, car_id: int, kind: str, actor: Actor, lat, lon) -> dict:
    instant = datetime.fromtimestamp(int(moment), UTC)
    return {
        "id": 0,
        "dateTime": local_text(berlin_local(instant)),
        "utcDateTime": utc_text(instant),
        "userId": actor.user_id,
        "carId": car_id,
        "type": kind,
        "userAgent": actor.agent,
        "latitude": lat,
        "longitude": lon,
        "_ts": int(moment),
    }


def make_events(
    seed: int,
    car_id: int,
    plan: Plan,
    cast: Cast,
    start: float,
    end: float,
    opened_at: float | None = None,
    showcase: bool = False,
) -> list[dict]:
    """CarOpened before and CarClosed after each trip, where the car is at that moment."""
    rng = random.Random(f"{seed}:events:{car_id}")
    drivers = rng.sample(cast.humans, k=rng.randint(1, 3))
    trips = plan.trips()
    forced = {}
    if showcase:  # one of each kind of actor among the car's last trips
        done = [k for k, trip in enumerate(trips) if trip.arrive + 120 <= end]
        for back, actor in ((2, cast.hostile), (4, cast.bot), (6, cast.portal)):
            if len(done) >= back:
                forced[done[-back]] = actor
    events = []
    for k, trip in enumerate(trips):
        actor = forced.get(k) or cast.pick(rng, drivers)
        opened = trip.depart - rng.randint(45, 150)
        closed = trip.arrive + rng.randint(30, 120)
        for moment, kind, point in (
            (opened, "CarOpened", trip.origin),
            (closed, "CarClosed", trip.destination),
        ):
            lat, lon = coordinates(rng, actor, point)
            if start <= moment <= end:
                events.append(_event(moment, car_id, kind, actor, lat, lon))
    if opened_at is not None:  # opened and never closed again
        actor = cast.apps[drivers[0]]
        point = plan.position_at(opened_at)
        lat, lon = round(point[0] + 4e-5, 6), round(point[1] - 3e-5, 6)
        events.append(_event(opened_at, car_id, "CarOpened", actor, lat, lon))
    return events


def demo_behaviour(profile: Profile, car_id: int, end: float) -> float | None:
    """Pin what the DEMO cars do, whatever their dice said; returns when a car was left open."""
    stories = {
        DEMO.car_id,
        DEMO.box_only_car_id,
        DEMO.iq_only_car_id,
        DEMO.large_event_car_id,
        DEMO.stationary_car_id,
        DEMO.offline_car_id,
        DEMO.silent_car_id,
        DEMO.left_open_car_id,
        DEMO.no_events_car_id,
        *DEMO.open_car_ids,
    }
    if car_id not in stories:
        return None
    profile.idle = False
    profile.parked_from = profile.silent_from = None
    profile.offline = ()
    profile.heartbeat = profile.heartbeat or 7200
    opened_at = None
    today = day_of(end)
    if car_id in (DEMO.car_id, DEMO.iq_only_car_id):
        profile.heartbeat = 3600  # a sample every hour while parked
        profile.gps_loss = 0.0  # its latest position always has coordinates (other cars: null)
    elif car_id == DEMO.stationary_car_id:
        profile.parked_from = end - 6 * DAY - 5 * 3600
        profile.heartbeat = 14400
    elif car_id == DEMO.offline_car_id:
        profile.heartbeat = 3600
        profile.offline = (
            (day_start(today - 9) + 7 * 3600, day_start(today - 9) + 12 * 3600),
            (day_start(today - 6), day_start(today - 5)),  # a whole day
            (day_start(today - 3) + 9 * 3600, day_start(today - 3) + 12 * 3600 + 1800),
        )
    elif car_id == DEMO.silent_car_id:
        profile.silent_from = end - 3 * DAY + 2 * 3600
    elif car_id == DEMO.left_open_car_id:
        opened_at = end - 48 * 3600 + 7 * 60
    elif car_id in DEMO.open_car_ids:
        opened_at = end - (3 * 3600 + 1200 if car_id == DEMO.open_car_ids[0] else 5 * 3600 + 2400)
    elif car_id == DEMO.no_events_car_id:
        profile.idle = True
    profile.phase %= profile.heartbeat
    if opened_at is not None:
        profile.parked_from = opened_at - 20 * 60  # it came back, then someone opened it
    return opened_at


def make_archive(seed: int, cast: Cast, count: int, before: float) -> Archive:
    """DEMO.large_event_car_id's years of events before the window (ids below the seed's)."""
    if not 1 <= count <= 100_000:
        raise ValueError("large_event_car must be True or a count from 1 to 100000")
    actors = [*cast.apps.values(), cast.portal, cast.bot, cast.hostile]
    weights = [10.0] * len(cast.apps) + [3.0, 4.0, 0.2]
    places = [(lat, lon) for _, lat, lon in MUNICH_CITY.depots[:1] + MUNICH_CITY.sites[:14]]
    car = DEMO.large_event_car_id
    return Archive(seed, car, count, before, 100_001 - count, actors, weights, places)


@dataclass(frozen=True)
class Fleet:
    """One seeded customer: its fleet size, plate city, places, departments and users."""

    customer_id: int
    name: str
    cars: int
    city: str
    places: list
    departments: list
    users: int
    reachable: bool  # whether the demo manager may act for this customer


CUSTOMERS = [
    Fleet(DEMO.customer_id, DEMO.customer_name, 62, "M", MUNICH, MUNICH_DEPARTMENTS, 14, True),
    Fleet(
        DEMO.other_customer_id,
        DEMO.other_customer_name,
        12,
        "HH",
        HAMBURG,
        HAMBURG_DEPARTMENTS,
        6,
        True,
    ),
    Fleet(
        DEMO.hidden_customer_id,
        "Autohaus Stuttgart Mitte",
        5,
        "S",
        STUTTGART,
        ["Vorführwagen"],
        3,
        False,
    ),
]


def build(
    anchor: datetime | None = None,
    extra_cars: int = 0,
    seed: int = SEED,
    extra_located: bool = False,
    large_event_car: bool | int = False,
) -> Store:
    """The seeded store; same seed and anchor give exactly the same data."""
    anchor = (anchor or default_anchor()).astimezone(UTC)
    end = anchor.timestamp()
    start = (anchor - timedelta(days=14)).timestamp()
    rng = random.Random(seed)
    ids = _Ids()
    store = Store()
    car_id = 2001
    user_id = 301
    all_events = []
    casts = {}
    for fleet in CUSTOMERS:
        cid, city, places, departments = (
            fleet.customer_id,
            fleet.city,
            fleet.places,
            fleet.departments,
        )
        store.customers[cid] = {"id": cid, "name": fleet.name}
        store.cars[cid] = {}
        users = []
        for _ in range(fleet.users):
            store.users[user_id] = cid
            store.user_names[user_id] = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            users.append(user_id)
            user_id += 1
        store.user_names[users[-1]] = "Fuhrpark-Integration (Dienstkonto)"
        cast = casts[cid] = Cast(seed, users)
        for n in range(fleet.cars):
            department = rng.choice(departments)
            car, _electric = make_car(rng, car_id, "", city, departments, rng.choice(places)[0])
            car["name"] = f"{_model_of(car)} {department} {n + 1:02d}"
            if cid == DEMO.customer_id and 10 <= n < 10 + len(HOSTILE_NAMES):
                car["name"] = HOSTILE_NAMES[n - 10]
            if cid == DEMO.customer_id and n in SPARSE_CARS:
                car.update(dict.fromkeys(SPARSE_CARS[n]))  # every nullable field null somewhere
            if cid == DEMO.hidden_customer_id:
                kinds: tuple[str, ...] = (BOX,)
            elif n < 4:  # the well-known DEMO cars: Box+IQ, Box, IQ, nothing
                kinds = ((BOX, IQ), (BOX,), (IQ,), ())[n]
            else:
                kinds = pick_kinds(rng)
            store.cars[cid][car_id] = car
            store.car_events[car_id] = CarEvents()
            products = make_products(rng, ids, anchor, kinds)
            if products:
                store.products[car_id] = products
            if fleet.reachable and kinds:
                # Movement draws from streams of its own per car (and day): the fleet
                # itself must not depend on the anchor, nor on how much a plan consumed.
                on_call = "Bereitschaft" in car["name"]
                profile = _make_profile(seed, car_id, CITIES[cid], start, end, on_call)
                opened_at = demo_behaviour(profile, car_id, end)
                # Box cars need the plan now (their events); IQ-only cars plan on first use.
                plan = Plan(seed, profile, start, end) if BOX in kinds else None
                if IQ in kinds:
                    sampler = Sampler(seed, start, end, lambda p=profile: p, plan)
                    store.locations[car_id] = sampler.history()
                if BOX in kinds:
                    all_events.extend(
                        make_events(
                            seed,
                            car_id,
                            plan,
                            cast,
                            start,
                            end,
                            opened_at,
                            showcase=car_id == DEMO.car_id,
                        )
                    )
            car_id += 1
    add_extra_cars(store, rng, ids, anchor, extra_cars, car_id, extra_located, seed)
    # Identity order follows time, as if the events had been stored when they happened.
    all_events.sort(key=lambda e: (e["_ts"], e["carId"]))
    event_id = 100001
    for event in all_events:
        del event["_ts"]
        event["id"] = event_id
        store.events[event_id] = event
        store.car_events[event["carId"]].add(event)
        event_id += 1
    store.next_event_id = event_id
    if large_event_car:
        count = 100_000 if large_event_car is True else int(large_event_car)
        archive = make_archive(seed, casts[DEMO.customer_id], count, start)
        store.car_events[DEMO.large_event_car_id].archive = archive
    store.managers[DEMO.username] = Manager(
        DEMO.username, DEMO.password, (DEMO.customer_id, DEMO.other_customer_id)
    )
    return store


def add_extra_cars(
    store: Store,
    rng: random.Random,
    ids: _Ids,
    anchor: datetime,
    count: int,
    first_id: int,
    located: bool = False,
    seed: int = SEED,
) -> None:
    """`count` generated cars for DEMO.customer_id; some with a Box, with `located` all with
    an IQ and a position history (made per car and day on first use)."""
    # A separate generator keeps the regular seed identical whatever `count` is.
    rng = random.Random(rng.random())
    cars = store.cars[DEMO.customer_id]
    car_id = first_id
    for n in range(count):
        brand, model, wmi, stem, electric = MODELS[rng.randrange(len(MODELS))]
        r = rng.random()
        cars[car_id] = {
            "id": car_id,
            "name": f"{model} Pool {n + 1:05d}",
            "description": None if r < 0.3 else f"Zusatzfahrzeug {n + 1}",
            "vin": make_vin(rng, wmi, stem) if r > 0.1 else None,
            "licensePlate": make_plate(rng, "M", electric) if r < 0.95 else None,
            "brand": brand,
            "model": model,
        }
        store.car_events[car_id] = CarEvents()
        if r > 0.5:
            store.products[car_id] = make_products(rng, ids, anchor, (BOX,))
        car_id += 1
    store.next_car_id = car_id
    if located:
        # Second pass with its own stream: the cars and Boxes are the same either way.
        end = anchor.timestamp()
        start = (anchor - timedelta(days=14)).timestamp()
        iq = random.Random(f"{seed}:extra-iq")
        for located_id in range(first_id, car_id):
            products = store.products.get(located_id, ())
            store.products[located_id] = products + make_products(iq, ids, anchor, (IQ,))
            profile = partial(_make_profile, seed, located_id, MUNICH_CITY, start, end)
            store.locations[located_id] = Sampler(seed, start, end, profile).history()
