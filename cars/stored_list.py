"""The car list answered from the fleet store: a page of cars with their status, no flinkey call.

Where the user may read a synced store (`fleetstore.services.store_for`), the list's page,
its total and the status of each car (devices, position age, open/closed, the soonest
service end, odometer) come from the database in three queries: the page's cars (with
their newest event), their devices, and the count. The status filters (`?service=`,
`?state=`, `?silent=`, `?iq=`) exist only here: flinkey's car list knows none of them.

Search and order are the live list's (cars.services): the same five fields searched, and
the same order as flinkey's — code point by code point, empty values first ascending and
last descending, the car id as tie-breaker — so a page does not change its cars when a
fleet's sync is turned on.

The status columns sort here only (`?sort=position`, `state`, `service_end`, `odometer`,
`devices`, each also descending with "-"): ascending is the youngest position first, closed
before open, the soonest service end first, the lowest odometer first, the fewest devices
first; a car the column knows nothing of ("—") comes last in both directions, and cars
alike are in the order of their names (code points), then of their ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Collate

from cars.services import SEARCH_FIELDS, SERVICE_ENDING_SOON, ListParams, service_state
from fleetadmin.upstream.clients import SetupNeeded, api_base_url, credentials_of
from fleetstore.models import FleetSync, StoredCar, StoredProduct
from fleetstore.reads import stored_car
from fleetstore.services import store_for
from flinkey import Car, Event, Page, Product

# An IQ that sent no position for longer than this is "silent" (contracts: `silent=1`).
SILENT_AFTER = timedelta(hours=24)


def readable_store(user) -> FleetSync | None:
    """The synced store `user` may read now (`store_for` decides), or None.

    A customer no fleet sync was ever finished for is answered at once, without the reach
    check `store_for` makes (a flinkey call when its proof has run out): the list then asks
    flinkey as it always did, one call a page. This only ever says "no" sooner.
    """
    try:
        api_url = api_base_url()
    except SetupNeeded:
        return None
    synced = FleetSync.objects.filter(api_url=api_url, enabled=True, synced_at__isnull=False)
    # Most deployments sync no fleet: then the page reads the credentials only once, for
    # its flinkey call, instead of once here too.
    if not synced.exists():
        return None
    credentials = credentials_of(user)
    if credentials is None or credentials.customer_id is None:
        return None
    if not synced.filter(customer_id=credentials.customer_id).exists():
        return None
    return store_for(user)


@dataclass(frozen=True, slots=True)
class CarStatus:
    """What the store knows of a car's state, as the list's status columns show it."""

    box: bool
    iq: bool | None  # None: its devices were never read
    fix_at: datetime | None  # the IQ's newest position
    state: str | None  # Event.OPENED / Event.CLOSED of the newest stored event, or None
    state_at: datetime | None
    service_ends_at: datetime | None  # the soonest service end of its devices
    odometer: float | None

    def service_state(self, now: datetime) -> str:
        """"ended", "ending" (within 30 days), "active" or "unknown" (no date)."""
        return service_state(self.service_ends_at, now=now)

    def silent(self, now: datetime) -> bool:
        """True when the car has an IQ that sent no position for 24 h, or never."""
        return bool(self.iq) and (self.fix_at is None or self.fix_at < now - SILENT_AFTER)


@dataclass(frozen=True)
class StoredPage:
    """A page of the list from the store: cars, their status by car id, and the total."""

    page: Page[Car]
    statuses: dict[int, CarStatus]
    total: int


def matching(fleet: FleetSync, params: ListParams, *, now: datetime):
    """The fleet's current cars that the search and status filters of `params` select.

    A queryset of StoredCar, unordered; also what a count of a filter (a tile linking to
    it) would read.
    """
    rows = StoredCar.objects.filter(fleet=fleet, gone_at__isnull=True)
    if term := params.search.strip():
        condition = Q()
        for name in SEARCH_FIELDS:
            condition |= Q(**{f"{name}__icontains": term})
        rows = rows.filter(condition)
    products = StoredProduct.objects.filter(car=OuterRef("pk"), service_ends_at__isnull=False)
    ended = Exists(products.filter(service_ends_at__lte=now))
    if params.service == "ended":
        rows = rows.filter(ended)
    elif params.service == "ending":
        rows = rows.filter(Exists(products.filter(
            service_ends_at__gt=now, service_ends_at__lte=now + SERVICE_ENDING_SOON))).exclude(
            ended)
    if params.state == "open":
        rows = rows.filter(last_event__type=Event.OPENED)
    if params.silent:
        rows = rows.filter(Q(fix_at__isnull=True) | Q(fix_at__lt=now - SILENT_AFTER),
                           has_iq=True)
    if params.iq == "none":
        rows = rows.filter(has_iq=False)
    return rows


def page_of_cars(fleet: FleetSync, params: ListParams, *, now: datetime) -> StoredPage:
    """One page of the list as `params` describe it, with each car's status and the total."""
    rows = matching(fleet, params, now=now)
    start = (params.page - 1) * params.page_size
    ordered = rows.select_related("last_event")
    if params.status_sort:
        ordered = ordered.annotate(status_key=_STATUS_KEYS[params.sort_field]())
    window = list(ordered.order_by(*_order(params))[start:start + params.page_size + 1])
    has_next = len(window) > params.page_size
    window = window[:params.page_size]
    # The count only when the page does not tell it: a short first page is the whole list.
    total = len(window) if params.page == 1 and not has_next else rows.count()
    page = Page(items=tuple(stored_car(row) for row in window), page=params.page,
                page_size=params.page_size, has_next=has_next)
    return StoredPage(page=page, statuses=_statuses(window), total=total)


def statuses_of(fleet: FleetSync, car_ids: list[int]) -> dict[int, CarStatus]:
    """The status of the given cars of the fleet (one row, after an edit), by car id."""
    rows = StoredCar.objects.filter(fleet=fleet, car_id__in=car_ids, gone_at__isnull=True)
    return _statuses(list(rows.select_related("last_event")))


def _statuses(rows: list[StoredCar]) -> dict[int, CarStatus]:
    devices: dict[int, list[tuple[str, datetime | None]]] = {row.pk: [] for row in rows}
    for car, kind, ends_at in StoredProduct.objects.filter(car__in=list(devices)).values_list(
            "car", "type", "service_ends_at"):
        devices[car].append((kind, ends_at))
    statuses = {}
    for row in rows:
        ends = [ends_at for _kind, ends_at in devices[row.pk] if ends_at is not None]
        event = row.last_event
        statuses[row.car_id] = CarStatus(
            box=any(kind == Product.BOX for kind, _ends in devices[row.pk]),
            iq=row.has_iq, fix_at=row.fix_at,
            state=event.type if event is not None else None,
            state_at=event.utc_date_time if event is not None else None,
            service_ends_at=min(ends) if ends else None, odometer=row.odometer)
    return statuses


def _order(params: ListParams) -> list:
    """flinkey's order: by code point, empty values first ascending, then the car id; or a
    status column's (annotated as `status_key`): unknown last, then the name, then the id."""
    if params.status_sort:
        key = F("status_key")
        # The position column shows an age: ascending (youngest first) is its time descending.
        descending = params.descending != (params.sort_field == "position")
        return [key.desc(nulls_last=True) if descending else key.asc(nulls_last=True),
                _code_points("name").asc(), F("car_id").asc()]
    column = _code_points(params.sort_field)
    if params.descending:
        return [column.desc(nulls_last=True), F("car_id").desc()]
    return [column.asc(nulls_first=True), F("car_id").asc()]


def _code_points(field: str):
    if connection.vendor in _CODE_POINT_COLLATION:
        return Collate(F(field), _CODE_POINT_COLLATION[connection.vendor])
    return F(field)


def _soonest_service_end():
    return Subquery(StoredProduct.objects.filter(car=OuterRef("pk"), service_ends_at__isnull=False)
                    .order_by("service_ends_at").values("service_ends_at")[:1])


def _open_or_closed():
    """0 closed, 1 open (as the column's words sort, in English and German); None else."""
    return Case(When(last_event__type=Event.CLOSED, then=Value(0)),
                When(last_event__type=Event.OPENED, then=Value(1)),
                default=Value(None), output_field=IntegerField())


def _devices():
    """How many of Box and IQ the car has (the column's words); None: never read."""
    box = Exists(StoredProduct.objects.filter(car=OuterRef("pk"), type=Product.BOX))
    return Case(When(has_iq__isnull=True, then=Value(None)),
                default=Case(When(box, then=Value(1)), default=Value(0))
                + Case(When(has_iq=True, then=Value(1)), default=Value(0)),
                output_field=IntegerField())


# Each status sort's key, annotated on the page's query as `status_key`.
_STATUS_KEYS = {
    "position": lambda: F("fix_at"),
    "state": _open_or_closed,
    "service_end": _soonest_service_end,
    "odometer": lambda: F("odometer"),
    "devices": _devices,
}


# SQLite compares text by its UTF-8 bytes already (BINARY, the order of code points);
# PostgreSQL's database collation may be a language's, so "C" is named.
_CODE_POINT_COLLATION = {"postgresql": "C", "sqlite": "BINARY"}
