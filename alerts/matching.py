"""Which cars of a fleet store match a rule now: one function for the rule's page (try it
before switching it on) and for the evaluation that raises alerts.

Everything is read from the fleet store (fleetstore.models), never from flinkey: how fresh
an answer is depends on the store's sync and sampling intervals.
"""

import math
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db.models import Min

from alerts.hours import within
from alerts.models import Rule
from fleetstore.models import StoredCar, StoredEvent, StoredProduct
from flinkey import Event

# "Never" as an episode start: a silent IQ that never reported has one episode.
NEVER = datetime(2000, 1, 1, tzinfo=UTC)
# Openings looked at by "opened outside hours" (older ones are history, not news).
OUTSIDE_HOURS_LOOKBACK = timedelta(hours=24)
# "Not back at its depot" is raised this long after the check time at most (a worker that
# was down all evening does not alert about yesterday's evening the next afternoon).
DEPOT_WINDOW = timedelta(hours=3)
EARTH_RADIUS_M = 6_371_000


@dataclass(frozen=True)
class Match:
    """A car matching a rule, since when (the episode), and what the message says."""

    car_id: int
    car_name: str
    license_plate: str
    episode_start: datetime
    detail: dict = field(default_factory=dict)


def matches(rule: Rule, now: datetime, *, preview: bool = False) -> list[Match]:
    """The cars that match `rule` at `now`, by episode start (oldest first).

    `preview` (the rule's page): also outside the moments an evaluation would raise alerts
    (a "not at depot" rule before its check time shows who is away now).
    """
    found = _KINDS[rule.kind](rule, now, preview)
    return sorted(found, key=lambda match: (match.episode_start, match.car_id))


def _cars(rule: Rule):
    return StoredCar.objects.filter(fleet=rule.fleet, gone_at__isnull=True)


def _match(car: StoredCar, start: datetime, **detail) -> Match:
    return Match(car.car_id, car.name, car.license_plate or "", start, detail)


def _left_open(rule: Rule, now: datetime, preview: bool) -> list[Match]:
    if rule.only_outside_hours and within(rule.working_hours, now, rule.time_zone):
        return []
    limit = now - timedelta(hours=rule.threshold)
    cars = _cars(rule).filter(last_event__type=Event.OPENED,
                              last_event__utc_date_time__lt=limit).select_related("last_event")
    return [_match(car, car.last_event.utc_date_time,
                   opened_at=car.last_event.utc_date_time.isoformat(),
                   opened_by=car.last_event.user_id) for car in cars]


def _service(rule: Rule, now: datetime, preview: bool) -> list[Match]:
    limit = now + timedelta(days=rule.threshold)
    ends = (StoredProduct.objects.filter(car__fleet=rule.fleet, car__gone_at__isnull=True,
                                         service_ends_at__lte=limit)
            .values("car").annotate(first_end=Min("service_ends_at")))
    first_end = {row["car"]: row["first_end"] for row in ends}
    cars = _cars(rule).filter(pk__in=first_end)
    return [_match(car, first_end[car.pk], service_ends_at=first_end[car.pk].isoformat(),
                   ended=first_end[car.pk] <= now) for car in cars]


def _silent(rule: Rule, now: datetime, preview: bool) -> list[Match]:
    limit = now - timedelta(hours=rule.threshold)
    cars = _cars(rule).filter(has_iq=True).exclude(fix_at__gte=limit)
    return [_match(car, car.fix_at or NEVER,
                   last_position_at=car.fix_at.isoformat() if car.fix_at else None)
            for car in cars]


def _outside_hours(rule: Rule, now: datetime, preview: bool) -> list[Match]:
    openings = (StoredEvent.objects.filter(fleet=rule.fleet, type=Event.OPENED,
                                           car__gone_at__isnull=True,
                                           utc_date_time__gte=now - OUTSIDE_HOURS_LOOKBACK,
                                           utc_date_time__lte=now)
                .select_related("car").order_by("utc_date_time", "event_id"))
    return [_match(event.car, event.utc_date_time, opened_at=event.utc_date_time.isoformat(),
                   opened_by=event.user_id, event_id=event.event_id)
            for event in openings
            if not within(rule.working_hours, event.utc_date_time, rule.time_zone)]


def last_check_moment(rule: Rule, now: datetime) -> datetime | None:
    """The latest moment at or before `now` when the rule's check time came (UTC)."""
    if rule.check_time is None:
        return None
    zone = zoneinfo.ZoneInfo(rule.time_zone)
    local = now.astimezone(zone)
    moment = datetime.combine(local.date(), rule.check_time, tzinfo=zone)
    if moment > local:
        moment = datetime.combine(local.date() - timedelta(days=1), rule.check_time,
                                  tzinfo=zone)
    return moment.astimezone(UTC)


def _not_at_depot(rule: Rule, now: datetime, preview: bool) -> list[Match]:
    moment = last_check_moment(rule, now)
    if moment is None or not rule.depots:
        return []
    if not preview and now - moment > DEPOT_WINDOW:
        return []
    cars = _cars(rule).filter(latitude__isnull=False, longitude__isnull=False)
    found = []
    for car in cars:
        if not any(inside(depot, car.latitude, car.longitude) for depot in rule.depots):
            found.append(_match(car, moment, latitude=car.latitude, longitude=car.longitude,
                                position_at=car.fix_at.isoformat() if car.fix_at else None))
    return found


def inside(depot: dict, latitude: float, longitude: float) -> bool:
    """True when the point is within the depot's circle (haversine distance)."""
    return distance_m(depot["latitude"], depot["longitude"], latitude, longitude) <= float(
        depot["radius"])


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


_KINDS = {
    Rule.Kind.LEFT_OPEN: _left_open,
    Rule.Kind.SERVICE: _service,
    Rule.Kind.SILENT: _silent,
    Rule.Kind.OUTSIDE_HOURS: _outside_hours,
    Rule.Kind.NOT_AT_DEPOT: _not_at_depot,
}
