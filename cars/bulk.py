"""Bulk actions on the car list: which cars are selected, fetching them, deleting them one by one.

flinkey has no bulk calls. The selected cars are read in one list call (a filter on their
ids); what each still carries is one products call per car through the fan-out; deleting
is one DELETE per car, in turn, each with its own audit entry, never retried.
"""

from dataclasses import dataclass

from django.utils.translation import gettext as _

from cars import retiring, services
from fleetadmin.upstream import budget
from fleetadmin.upstream.clients import SetupNeeded, client_for
from fleetadmin.upstream.fanout import fan_out_cached
from fleetadmin.web.csv_export import ExcelCsv, cell
from fleetadmin.web.ids import parse_id
from fleetadmin.web.problems import Problem, is_missing, problem_of
from flinkey import Car, FlinkeyError, Query, odata

# One page of the list at its largest: what "select all on this page" can give.
MAX_SELECTED = max(services.PAGE_SIZES)
# A DELETE is not started with less of the request's time budget left than this: it would
# end as "outcome unknown" instead of not being tried.
MIN_SECONDS_FOR_A_DELETE = 2.0

# The CSV's columns: the car's fields, in the list's order.
EXPORT_FIELDS = ("id", "name", "license_plate", "brand", "model", "vin", "description")


class TooMany(ValueError):
    """More cars selected than one page of the list holds."""


def selected_ids(data) -> list[int]:
    """Return the distinct car ids a bulk form sent (its ticked rows, or the whole page).

    `car` holds the ticked rows; `all=page` ("select all on this page", which works without
    script) adds the page's `on_page` ids. Anything not a flinkey id (fleetadmin.web.ids) is
    ignored; more than MAX_SELECTED raises TooMany.
    """
    values = list(data.getlist("car"))
    if data.get("all") == "page":
        values += data.getlist("on_page")
    ids = []
    for value in values:
        car_id = parse_id(value)
        if car_id is not None and car_id not in ids:
            ids.append(car_id)
    if len(ids) > MAX_SELECTED:
        raise TooMany(len(ids))
    return ids


@dataclass(frozen=True)
class Selection:
    """The selected cars flinkey still has (in the order selected), and the ids it has not."""

    cars: tuple[Car, ...]
    missing: tuple[int, ...]


def fetch_selection(*, user, ids: list[int]) -> Selection:
    """One list call for the selected cars; raise SetupNeeded, FlinkeyError."""
    if not ids:
        return Selection((), ())
    match = None
    for car_id in ids:
        match = odata.eq("id", car_id) if match is None else match | odata.eq("id", car_id)
    found = {car.id: car for car in client_for(user).list_cars(
        Query(filter=match, orderby=(("name", "asc"),), top=len(ids)))}
    return Selection(cars=tuple(found[i] for i in ids if i in found),
                     missing=tuple(i for i in ids if i not in found))


def carried_by_each(*, user, car_ids: list[int]) -> dict[int, retiring.Carried]:
    """What each car still carries: one products call per car, run concurrently.

    Never cached (ttl None): before a delete only flinkey's current answer counts. A car
    whose call failed (or did not finish in time) is unchecked, with what happened.
    """
    try:
        outcomes = fan_out_cached(user=user, kind="products-before-delete", keys=car_ids,
                                  fetch=lambda client, car_id: client.list_products(car_id),
                                  ttl=lambda key, value: None)
    except (SetupNeeded, FlinkeyError) as error:
        return dict.fromkeys(car_ids, retiring.unchecked(error))
    return {car_id: retiring.carried_of(outcome.value) if outcome.ok
            else retiring.unchecked(outcome.error)
            for car_id, outcome in outcomes.items()}


# What happened to one car of a bulk delete.
DELETED, NOT_FOUND, FAILED, UNKNOWN, NOT_TRIED = (
    "deleted", "not-found", "failed", "unknown", "not-tried")


@dataclass(frozen=True)
class Outcome:
    """One car's line on the result page."""

    car_id: int
    name: str | None
    result: str  # DELETED, NOT_FOUND, FAILED, UNKNOWN or NOT_TRIED
    problem: Problem | None = None


def delete_each(*, user, selection: Selection) -> list[Outcome]:
    """Delete the selected cars one after the other; return what happened to each.

    Each DELETE is recorded by services.delete_car (an "unknown" entry written first, then
    settled). Nothing is retried: a delete that timed out may have happened, and says so.
    Cars flinkey no longer had when they were fetched are "not found", without a call.
    """
    outcomes = [Outcome(car_id, None, NOT_FOUND) for car_id in selection.missing]
    for car in selection.cars:
        left = budget.time_left()
        if left is not None and left < MIN_SECONDS_FOR_A_DELETE:
            outcomes.append(Outcome(car.id, car.name, NOT_TRIED))
            continue
        try:
            services.delete_car(user=user, car=car)
        except (SetupNeeded, FlinkeyError) as error:
            if is_missing(error):
                outcomes.append(Outcome(car.id, car.name, NOT_FOUND))
            elif getattr(error, "write_outcome_unknown", False):
                outcomes.append(Outcome(car.id, car.name, UNKNOWN, problem_of(error)))
            else:
                outcomes.append(Outcome(car.id, car.name, FAILED, problem_of(error)))
        else:
            outcomes.append(Outcome(car.id, car.name, DELETED))
    return outcomes


def export_rows(selection: Selection):
    """The CSV's lines (text, in the style of the user's language, its BOM first): a header,
    a row per car, a last line for cars not found."""
    writer = ExcelCsv()
    yield writer.start()
    labels = {"id": _("flinkey id"), "name": _("Name"), "license_plate": _("Licence plate"),
              "brand": _("Brand"), "model": _("Model"), "vin": _("VIN"),
              "description": _("Description")}
    yield writer.row([labels[name] for name in EXPORT_FIELDS])
    for car in selection.cars:
        yield writer.row([cell(getattr(car, name)) for name in EXPORT_FIELDS])
    if selection.missing:
        yield writer.row([cell("# " + _(
            "Not exported, not found for this customer: %(ids)s") % {
                "ids": ", ".join(str(i) for i in selection.missing)})])

