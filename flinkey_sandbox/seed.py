"""Deterministic demo data: a Munich utility's fleet, a Hamburg fleet, history and events."""

import math
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .state import History, Manager, Store
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


def _distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 6371.0 * 2 * math.asin(math.sqrt(h))


def plan_trips(
    rng: random.Random, places: list, start: float, end: float
) -> list[tuple[float, float, tuple, tuple, float]]:
    """Trips (depart, arrive, from, to, road km): parked most of the time, short city trips."""
    trips = []
    here = (places[0][1] + rng.uniform(-4e-4, 4e-4), places[0][2] + rng.uniform(-4e-4, 4e-4))
    t = start
    while True:
        hour = berlin_local(datetime.fromtimestamp(t, UTC)).hour
        if 6 <= hour < 18:
            t += rng.uniform(0.5, 4.0) * 3600
        else:  # overnight: wait for the morning shift
            wait_h = (6 - hour) % 24 + rng.uniform(0, 2.0)
            t += max(wait_h, 0.5) * 3600
        if t >= end:
            return trips
        evening = berlin_local(datetime.fromtimestamp(t, UTC)).hour >= 16
        target = places[0] if evening or rng.random() < 0.25 else rng.choice(places[1:])
        dest = (target[1] + rng.uniform(-8e-4, 8e-4), target[2] + rng.uniform(-8e-4, 8e-4))
        km = _distance_km(here, dest) * 1.35  # roads are longer than straight lines
        if km < 0.3:
            continue
        duration = max(8 * 60, km / rng.uniform(22, 40) * 3600)
        trips.append((t, t + duration, here, dest, km))
        t += duration
        here = dest


def sample_history(
    rng: random.Random, trips: list, start: float, end: float, odometer: float
) -> History:
    """Samples every 10–15 minutes along the planned trips; odometer grows with distance."""
    history = History()
    first_pos = trips[0][2] if trips else None
    t = start + rng.randint(0, 600)
    i = 0
    driven = 0.0
    pos = first_pos
    while t <= end:
        while i < len(trips) and trips[i][1] <= t:
            driven += trips[i][4]
            pos = trips[i][3]
            i += 1
        if i < len(trips) and trips[i][0] <= t:
            dep, arr, a, b, km = trips[i]
            f = (t - dep) / (arr - dep)
            # A little sideways wobble: streets are not straight lines.
            wobble = math.sin(f * math.pi) * rng.uniform(-0.004, 0.004)
            lat = a[0] + (b[0] - a[0]) * f + wobble
            lon = a[1] + (b[1] - a[1]) * f - wobble
            odo = odometer + driven + km * f
        elif pos is None:
            lat = lon = None
            odo = odometer + driven
        else:
            lat = pos[0] + rng.gauss(0, 3e-5)  # parked: GPS noise of a few metres
            lon = pos[1] + rng.gauss(0, 3e-5)
            odo = odometer + driven
        if lat is not None and rng.random() < 0.01:
            lat = lon = None  # no GPS fix (garage, tunnel)
        history.append(
            int(t),
            None if lat is None else round(lat, 6),
            None if lon is None else round(lon, 6),
            round(odo, 1),
        )
        t += rng.randint(600, 900)
    return history


def make_events(
    rng: random.Random, trips: list, car_id: int, users: list[int], end: float
) -> list[dict]:
    """CarOpened before and CarClosed after each trip, by one of the customer's users."""
    events = []
    for dep, arr, a, b, _km in trips:
        user = rng.choice(users)
        agent = rng.choice(USER_AGENTS)
        opened = dep - rng.randint(45, 240)
        closed = arr + rng.randint(30, 180)
        for moment, where, kind in ((opened, a, "CarOpened"), (closed, b, "CarClosed")):
            if moment > end:
                continue
            located = rng.random() > 0.1
            instant = datetime.fromtimestamp(int(moment), UTC)
            events.append(
                {
                    "id": 0,
                    "dateTime": local_text(berlin_local(instant)),
                    "utcDateTime": utc_text(instant),
                    "userId": user,
                    "carId": car_id,
                    "type": kind,
                    "userAgent": agent,
                    "latitude": round(where[0] + rng.gauss(0, 1e-4), 6) if located else None,
                    "longitude": round(where[1] + rng.gauss(0, 1e-4), 6) if located else None,
                    "_ts": int(moment),
                }
            )
    return events


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


def build(anchor: datetime | None = None, extra_cars: int = 0, seed: int = SEED) -> Store:
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
            store.car_events[car_id] = []
            products = make_products(rng, ids, anchor, kinds)
            if products:
                store.products[car_id] = products
            if fleet.reachable and kinds:
                # Movement draws from its own stream per car: how much randomness a trip
                # plan consumes depends on the anchor, and the fleet itself must not.
                motion = random.Random(f"{seed}:motion:{car_id}")
                trips = plan_trips(motion, places, start, end)
                if IQ in kinds:
                    # A few IQs went silent days ago (unplugged, no coverage).
                    stop = end - 3 * 86400 if motion.random() < 0.05 and n >= 4 else end
                    odometer = motion.uniform(3000, 90000)
                    store.locations[car_id] = sample_history(motion, trips, start, stop, odometer)
                if BOX in kinds:
                    all_events.extend(make_events(motion, trips, car_id, users, end))
            car_id += 1
    add_extra_cars(store, rng, ids, anchor, extra_cars, car_id)
    # Identity order follows time, as if the events had been stored when they happened.
    all_events.sort(key=lambda e: (e["_ts"], e["carId"]))
    event_id = 100001
    for event in all_events:
        del event["_ts"]
        event["id"] = event_id
        store.events[event_id] = event
        store.car_events[event["carId"]].append(event_id)
        event_id += 1
    store.next_event_id = event_id
    store.managers[DEMO.username] = Manager(
        DEMO.username, DEMO.password, (DEMO.customer_id, DEMO.other_customer_id)
    )
    return store


def add_extra_cars(
    store: Store, rng: random.Random, ids: _Ids, anchor: datetime, count: int, first_id: int
) -> None:
    """`count` generated cars for DEMO.customer_id; no history, some with a Box."""
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
        store.car_events[car_id] = []
        if r > 0.5:
            store.products[car_id] = make_products(rng, ids, anchor, (BOX,))
        car_id += 1
    store.next_car_id = car_id
