"""Car operations the views call: keyword-only functions, every upstream call through the client.

Reads raise FlinkeyError (and CredentialsMissing/CustomerNotChosen from client_for); every
write runs inside audit.recording.recording so that it lands in the audit log, whatever the
outcome, and one that succeeded is kept in the customer's fleet store at once
(fleetstore.services.car_written / car_deleted), so the list read from it shows it.
"""

from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta

from django.utils import timezone

from audit.recording import field_changes, recording
from cars.fleet_list import forget_fleet_cars
from fleetadmin.upstream.clients import client_for, credentials_of
from fleetstore.services import car_deleted, car_written
from flinkey import Car, FlinkeyClient, Page, Product, Query, odata

# The fields a person edits, in the order forms show them. `name` is required upstream.
EDITABLE_FIELDS = ("name", "license_plate", "brand", "model", "vin", "description")
# What a search looks in (each lower-cased by the API, then `contains`).
SEARCH_FIELDS = ("name", "license_plate", "vin", "brand", "model")
# Columns the list may be sorted by; anything else in the URL falls back to DEFAULT_SORT.
SORTABLE_FIELDS = ("name", "license_plate", "brand", "model", "vin")
# The status columns' sorts: only the fleet store knows them (cars.stored_list); a list
# asked of flinkey falls back to DEFAULT_SORT (cars.views.Listing.start).
STATUS_SORTS = ("devices", "position", "state", "service_end", "odometer")
DEFAULT_SORT = "name"
PAGE_SIZES = (10, 25, 50, 100)
DEFAULT_PAGE_SIZE = 25
# Longer search terms are cut: nobody types more, and the filter goes into a URL five times.
MAX_SEARCH_LENGTH = 100
# Far beyond any real fleet (10,000 cars / 10 per page); keeps $skip a sane number.
MAX_PAGE = 100_000
# A device whose service ends within this many days is flagged.
SERVICE_ENDING_SOON = timedelta(days=30)
# The status filters (docs: the car list's GET parameters); they need the fleet store.
SERVICE_FILTERS = ("ended", "ending")  # ?service=
STATE_FILTERS = ("open",)  # ?state=
IQ_FILTERS = ("none",)  # ?iq=


@dataclass(frozen=True)
class ListParams:
    """What the car list shows: search term, sort key ("name" or "-name"), page, page size,
    and the status filters (answered only from the fleet store: cars.stored_list)."""

    search: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    service: str = ""  # "ended", "ending" or "" (any)
    state: str = ""  # "open" or "" (any)
    silent: bool = False  # only cars whose IQ sent no position for 24 h (or never)
    iq: str = ""  # "none": only cars without an IQ

    @classmethod
    def from_query(cls, data) -> "ListParams":
        """Return the params in a QueryDict (q, sort, page, size); invalid ones become defaults."""
        search = " ".join(str(data.get("q", "")).split())[:MAX_SEARCH_LENGTH]
        sort = str(data.get("sort", DEFAULT_SORT))
        if sort.removeprefix("-") not in SORTABLE_FIELDS + STATUS_SORTS:
            sort = DEFAULT_SORT
        page = _int_or(data.get("page"), 1)
        page = page if 1 <= page <= MAX_PAGE else 1
        page_size = _int_or(data.get("size"), DEFAULT_PAGE_SIZE)
        page_size = page_size if page_size in PAGE_SIZES else DEFAULT_PAGE_SIZE
        return cls(search=search, sort=sort, page=page, page_size=page_size,
                   service=_choice(data.get("service"), SERVICE_FILTERS),
                   state=_choice(data.get("state"), STATE_FILTERS),
                   silent=str(data.get("silent", "")) == "1",
                   iq=_choice(data.get("iq"), IQ_FILTERS))

    def as_query(self, **overrides) -> dict[str, str]:
        """Return the URL parameters of these params (defaults left out), with overrides."""
        params = replace(self, **overrides)
        query = {}
        if params.search:
            query["q"] = params.search
        if params.sort != DEFAULT_SORT:
            query["sort"] = params.sort
        if params.page != 1:
            query["page"] = str(params.page)
        if params.page_size != DEFAULT_PAGE_SIZE:
            query["size"] = str(params.page_size)
        query.update(params.filter_query())
        return query

    def filter_query(self) -> dict[str, str]:
        """Return the URL parameters of the status filters alone."""
        query = {}
        if self.service:
            query["service"] = self.service
        if self.state:
            query["state"] = self.state
        if self.silent:
            query["silent"] = "1"
        if self.iq:
            query["iq"] = self.iq
        return query

    @property
    def filtered(self) -> bool:
        """Return True when a status filter is on (only the fleet store can answer then)."""
        return bool(self.service or self.state or self.silent or self.iq)

    @property
    def status_sort(self) -> bool:
        """Return True when the list is sorted by a status column (the store's alone)."""
        return self.sort_field in STATUS_SORTS

    @property
    def sort_field(self) -> str:
        """Return the sorted column without direction."""
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        """Return True when the list is sorted descending."""
        return self.sort.startswith("-")


def _choice(value, choices: tuple[str, ...]) -> str:
    # Anything not offered (a typo, an old link) is no filter rather than an error.
    value = str(value or "")
    return value if value in choices else ""


def _int_or(value, default: int) -> int:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return default


def search_filter(term: str) -> odata.Expr | None:
    """Return the OData filter matching `term` in any searchable field, or None for no term."""
    term = term.strip().lower()
    if not term:
        return None
    # The builder quotes the literal, so the term can never change the filter's structure.
    # tolower() on the field and lower() on the term make it case-insensitive.
    expression = None
    for name in SEARCH_FIELDS:
        match = odata.contains(odata.tolower(name), term)
        expression = match if expression is None else expression | match
    return expression


def list_query(params: ListParams) -> Query:
    """Return the OData query (filter and order, no paging) of the list `params` describe."""
    direction = "desc" if params.descending else "asc"
    field = params.sort_field if params.sort_field in SORTABLE_FIELDS else DEFAULT_SORT
    orderby = [(field, direction)]
    # Many cars share a brand or model: the id as tie-breaker keeps pages stable, so no car
    # appears on two pages or on none.
    orderby.append(("id", direction))
    return Query(filter=search_filter(params.search), orderby=tuple(orderby))


def page_of_cars(*, client: FlinkeyClient, params: ListParams | None = None) -> Page[Car]:
    """Return one page of the customer's cars: one upstream call, no database; raise FlinkeyError.

    Takes the client rather than the user: the list sends it from another thread (see
    cars.views.Listing), and the database belongs to the request's thread.
    """
    params = params or ListParams()
    return client.page_cars(
        list_query(params), page=params.page, page_size=params.page_size
    )


def get_car(*, user, car_id: int) -> Car:
    """Return the car; raise NotFoundError, FlinkeyError."""
    return client_for(user).get_car(car_id)


def other_cars_with_vin(*, user, vin: str, car_id: int | None = None) -> list[Car]:
    """Return up to 5 other cars of the customer with this VIN (any case); raise FlinkeyError."""
    vin = vin.strip().lower()
    if not vin:
        return []
    match = odata.eq(odata.tolower("vin"), vin)
    if car_id is not None:
        match = match & odata.ne("id", car_id)
    return client_for(user).list_cars(Query(filter=match, orderby=(("name", "asc"),), top=5))


def car_values(car: Car) -> dict[str, str]:
    """Return the editable fields of `car` as form values ("" for an empty field)."""
    data = asdict(car)
    return {name: data[name] or "" for name in EDITABLE_FIELDS}


def _customer_id(user) -> int | None:
    credentials = credentials_of(user)
    return credentials.customer_id if credentials is not None else None


def create_car(*, user, values: dict[str, str]) -> Car:
    """Create a car from form values and return it; raise FlinkeyError (never retried)."""
    client = client_for(user)
    fields = {name: (values.get(name) or "").strip() or None for name in EDITABLE_FIELDS}
    changes = {name: {"before": None, "after": value} for name, value in fields.items() if value}
    customer_id = _customer_id(user)
    with recording(
        user=user, action="car.create", customer_id=customer_id, changes=changes
    ) as entry:
        # A PUT creates: the client never repeats it, and neither do we. A timeout surfaces
        # as UpstreamTimeout(write_outcome_unknown=True) and the person is told to check.
        car_id = client.create_car(**fields)
        entry.car_id = car_id
    car = Car(id=car_id, **fields)
    # The list read from the fleet store shows it at once, not after the next sync.
    car_written(customer_id=customer_id, car=car)
    forget_fleet_cars(user=user)
    return car


@dataclass(frozen=True)
class UpdateResult:
    """What an update did: the car as saved, the changes sent, and conflicting fields."""

    car: Car
    changes: dict[str, str | None]
    conflicts: dict[str, str] = field(default_factory=dict)  # field -> value saved meanwhile

    @property
    def saved(self) -> bool:
        """Return True when the update reached flinkey (or there was nothing to send)."""
        return not self.conflicts


def update_car(
    *, user, car_id: int, values: dict[str, str], seen: dict[str, str], changed: list[str]
) -> UpdateResult:
    """Send the fields the person changed; return an UpdateResult; raise FlinkeyError.

    `values` are the submitted form values, `seen` the values the form showed when it was
    opened, `changed` the fields whose submitted value differs from `seen`.
    """
    client = client_for(user)
    # Why both the form's original values and a re-fetch:
    # - `changed` (submitted vs. what the form showed) decides WHAT is sent, so a field the
    #   person did not touch never overwrites an edit someone else saved meanwhile;
    # - re-fetching gives the true "before" for the audit log and shows when someone else
    #   changed the very field this person changed too: then nothing is sent, the person
    #   sees the other value and decides (a lost update is never silent).
    # It costs one GET per save, which is cheap next to a wrong audit trail.
    current = client.get_car(car_id)
    # Compared as the form compares them: without surrounding blanks.
    current_values = {name: value.strip() for name, value in car_values(current).items()}
    conflicts = {
        name: current_values[name]
        for name in changed
        if current_values[name] != seen.get(name, "") and current_values[name] != values[name]
    }
    if conflicts:
        return UpdateResult(car=current, changes={}, conflicts=conflicts)
    changes = {
        name: values[name].strip() or None
        for name in changed
        if values[name].strip() != current_values[name]
    }
    if not changes:
        return UpdateResult(car=current, changes={})
    before = {name: current_values[name] or None for name in changes}
    customer_id = _customer_id(user)
    with recording(
        user=user,
        action="car.update",
        customer_id=customer_id,
        car_id=car_id,
        car_name=changes.get("name") or current.name,
        changes=field_changes(before, changes),
    ):
        # Emptied optional fields are None here: the client sends {"op": "remove"}.
        client.update_car(car_id, changes)
    saved = replace(current, **changes)
    car_written(customer_id=customer_id, car=saved)
    return UpdateResult(car=saved, changes=changes)


def delete_car(*, user, car: Car) -> None:
    """Delete `car`; raise NotFoundError when it is already gone, FlinkeyError."""
    client = client_for(user)
    customer_id = _customer_id(user)
    with recording(
        user=user,
        action="car.delete",
        customer_id=customer_id,
        car_id=car.id,
        changes={"name": {"before": car.name, "after": None}},
    ):
        client.delete_car(car.id)
    car_deleted(customer_id=customer_id, car_id=car.id)
    forget_fleet_cars(user=user)


@dataclass(frozen=True)
class Device:
    """A product as the products panel shows it, with the state of its service end."""

    product: Product
    service_state: str  # "ended", "ending", "active" or "unknown"

    @property
    def flagged(self) -> bool:
        """Return True when the service end needs attention (past or within 30 days)."""
        return self.service_state in ("ended", "ending")


def service_state(ends_at: datetime | None, *, now: datetime) -> str:
    """Return "ended", "ending" (within 30 days), "active" or "unknown" (no date)."""
    if ends_at is None:
        return "unknown"
    if ends_at <= now:
        return "ended"
    if ends_at <= now + SERVICE_ENDING_SOON:
        return "ending"
    return "active"


def devices_of_car(*, user, car_id: int, now: datetime | None = None) -> list[Device]:
    """Return the car's devices, Box first; [] when none; raise NotFoundError, FlinkeyError."""
    now = now or timezone.now()
    products = client_for(user).list_products(car_id)
    order = {Product.BOX: 0, Product.IQ: 1}
    products = sorted(products, key=lambda product: (order.get(product.type, 2), product.id))
    return [Device(p, service_state(p.service_ends_at, now=now)) for p in products]
