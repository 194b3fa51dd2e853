"""The map screens: a car's map (panel on its page, and its own page), and the fleet map.

Built like every screen (fleetadmin.web.htmx, fleetadmin.web.problems). Map data travels as JSON
(`json_script` or the fleet map's batch endpoint) and static/js/maps.js draws it, building
every popup with textContent: names are data, never markup or code.
"""

from dataclasses import replace
from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fleetadmin.upstream.call_budget import CallBudgetSpent
from fleetadmin.web.dates import in_future, local_time
from fleetadmin.web.durations import ago_text
from fleetadmin.web.elsewhere import car_elsewhere
from fleetadmin.web.htmx import render_screen, screen, wants_fragment
from fleetadmin.web.ids import parse_id
from fleetadmin.web.problems import UPSTREAM_ERRORS, car_problem, problem_of
from fleetstore.services import store_for
from maps import fleet, services
from maps.fleet import offset_text
from maps.services import FAILED, LOCATED, NO_DEVICE, NO_POSITION

MAX_RETRY_IDS = 1000
MAX_START_DIGITS = 9  # a batch start beyond any fleet is an empty batch, not an error
# Loads of a route region before what is still missing is called missing (each round asks
# only what earlier rounds did not get: their answers are cached).
ROUTE_MAX_ROUNDS = 8


# --- wording ------------------------------------------------------------------------------


# What the route replay's JavaScript can write itself (static/js/maps.js): a format of only
# these (and punctuation) is handed to it, any other leaves it the samples' own times.
_REPLAY_FORMAT_CHARACTERS = frozenset("dmYHi")


def _replay_format(django_format: str) -> str | None:
    """`django_format` if the replay can write it, else None."""
    special = {char for char in django_format if char.isalpha() or char == "\\"}
    return django_format if special <= _REPLAY_FORMAT_CHARACTERS else None


def age_text(moment, now=None) -> str:
    """Return how long ago `moment` was ("12 minutes ago", German "vor 12 Minuten")."""
    return ago_text(moment, now)


def replay_clock(start, end) -> dict:
    """Return what the replay needs to write any moment from `start` to `end` as local_time does.

    `format`: the language's SHORT_DATETIME_FORMAT if it uses only d, m, Y, H and i (else
    None: the replay shows the samples' own times); `zones`: [from epoch ms, UTC offset in
    ms, abbreviation] for each offset the user's zone has in the period (two across a
    daylight-saving change). The browser's Intl cannot do this: it writes its own locale's
    format, and "GMT+1" where Django writes "CET".
    """
    django_format = formats.get_format("SHORT_DATETIME_FORMAT")
    zone = timezone.get_current_timezone()

    def offset_at(moment):
        local = moment.astimezone(zone)
        return int(local.utcoffset().total_seconds() * 1000), local.tzname()

    zones = [[int(start.timestamp() * 1000), *offset_at(start)]]
    step = timedelta(minutes=15)  # zones change offsets on quarter hours (UTC)
    moment = start
    while moment < end:
        following = min(moment + step, end)
        if offset_at(following) != tuple(zones[-1][1:]):
            # The change lies in (low, high]; zones change on whole seconds.
            low, high = moment.replace(microsecond=0), following
            while high - low > timedelta(seconds=1):
                middle = low + timedelta(seconds=(high - low).total_seconds() // 2)
                low, high = (middle, high) if offset_at(middle) == tuple(zones[-1][1:]) \
                    else (low, middle)
            zones.append([int(high.timestamp() * 1000), *offset_at(high)])
        moment = following
    return {"format": _replay_format(django_format), "zones": zones}


def _zone_name() -> str:
    return timezone.get_current_timezone_name()


# --- the car map --------------------------------------------------------------------------


def _car_map_context(request, car_id: int) -> tuple[dict, int]:
    at = services.parse_moment(request.GET.get("at"))
    # No position lies ahead: flinkey would answer its latest sample, shown as "where it was"
    # weeks before the moment. Refused as the event form refuses it; the latest is shown.
    at_future = at is not None and in_future(at)
    if at_future:
        at = None
    context = {
        "car_id": car_id,
        "at": at,
        "at_input": services.local_input(at) if at else request.GET.get("at", ""),  # typed: kept
        "at_invalid": bool(request.GET.get("at")) and at is None and not at_future,
        "at_future": at_future,
        "zone": _zone_name(),
        "position": None,
        "map_problem": None,
        "map_loaded": True,
        "no_iq": False,
        "page_url": reverse("maps:car", args=[car_id]),
        # The moment shown, as a file to take away (maps/downloads.py).
        "moment_download_url": reverse("maps:moment-html", args=[car_id])
        + (f"?{urlencode({'at': services.utc_param(at)})}" if at else ""),
    }
    try:
        position = services.car_position(user=request.user, car_id=car_id, at=at)
    except UPSTREAM_ERRORS as error:
        context["map_problem"] = car_problem(error)
        return context, context["map_problem"].status
    context["position"] = position
    # No flinkey IQ: no position now or at any moment, and no route: nothing to ask for.
    context["no_iq"] = position.state == NO_DEVICE
    loc = position.location
    # An answer without a position may still carry the odometer (each field may be null).
    if loc is not None and loc.odometer_recorded_at:
        context["odometer_time"] = local_time(loc.odometer_recorded_at)
    if position.state == LOCATED:
        context.update(
            fix_time=local_time(loc.recorded_at) if loc.recorded_at else "",
            fix_age=age_text(loc.recorded_at) if loc.recorded_at else "",
            offset=offset_text(position.offset),
            map_data={
                "config": services.map_config(center=(loc.latitude, loc.longitude), zoom=14),
                "marker": {"lat": loc.latitude, "lon": loc.longitude,
                           "title": _("Position at %(time)s") % {
                               "time": local_time(loc.recorded_at)} if loc.recorded_at else ""},
            },
        )
    return context, 200


def _route_round(request) -> int:
    text = request.GET.get("round", "")
    return min(int(text), ROUTE_MAX_ROUNDS) if _digits(text) and len(text) <= 2 else 0


def _round_url(request, car_id: int, period, round_: int) -> str:
    """The route region's next load: the page's own query, its end pinned (`now`: a preset
    keeps the period the first round showed), and the round."""
    query = {key: request.GET[key] for key in ("period", "from", "to") if request.GET.get(key)}
    query.update(now=services.utc_param(period[1]), round=str(round_))
    return reverse("maps:car", args=[car_id]) + f"?{urlencode(query)}"


def _route_context(request, car_id: int, *, load: bool = True) -> tuple[dict, int]:
    """The route region; `load=False` (the whole page) only its form and the load to come:
    the page shows at once, the route follows through htmx with a progress indicator."""
    preset, start, end, period = services.route_period(request.GET)
    now = timezone.now()
    # The fields hold the period drawn (a preset's too), so "Show route" draws it again.
    shown = period or (start or now - services.PRESETS["24h"], end or now)
    context = {
        "car_id": car_id,
        "period": preset,
        "from_input": services.local_input(shown[0]),
        "to_input": services.local_input(shown[1]),
        "route": None,
        "route_problem": None,
        "route_asked": bool(preset or start or end),
        "route_invalid": bool(preset or start or end) and period is None,
        "route_cut": services.period_cut(preset=preset, start=start, period=period),
        "max_days": services.MAX_ROUTE_PERIOD.days,
        "route_next_url": None,
        "zone": _zone_name(),
    }
    if period is None:
        return context, 200
    if not load:
        context.update(route_loading=True, route_next_url=_round_url(request, car_id, period, 0))
        return context, 200
    round_ = _route_round(request)
    try:
        # The first round reads the fleet store alone (if it has samples), each round's
        # live calls are bounded: the page draws what has arrived, then asks for the rest.
        route = services.route(user=request.user, car_id=car_id, start=period[0],
                               end=period[1], live=round_ > 0,
                               timeout=settings.FLEETADMIN_ROUTE_ROUND_SECONDS)
    except UPSTREAM_ERRORS as error:
        context["route_problem"] = car_problem(error)
        return context, context["route_problem"].status
    if route.pending and round_ >= ROUTE_MAX_ROUNDS:
        # Given up: what is still missing is missing, and said so (Reload tries again).
        route = replace(route, failed=route.failed + route.pending, pending=0)
    if route.pending:
        context["route_next_url"] = _round_url(request, car_id, period, round_ + 1)
    context.update(
        route=route,
        # Samples the call budget refused: the partial route says why.
        route_budget=next((problem_of(error) for error in route.errors
                           if isinstance(error, CallBudgetSpent)), None),
        route_start=local_time(route.start),
        route_end=local_time(route.end),
        odometer=_odometer_facts(route),
        timeline=_timeline(route),
        route_data=_route_json(route) if route.points else None,
        downloads=_route_downloads(request, car_id),
    )
    return context, 200


def _odometer_facts(route) -> dict | None:
    """The odometer readings the km figure is the difference of, as the page writes them."""
    readings = route.odometer_readings
    if readings is None:
        return None
    first, last = readings
    return {"km": route.odometer_km, "first": first.odometer, "last": last.odometer,
            "first_time": local_time(first.odometer_recorded_at),
            "last_time": local_time(last.odometer_recorded_at)}


def _timeline(route) -> list[dict]:
    """The route's stops, trips and gaps in time order, in the user's zone."""
    entries = [{"kind": "stop", "item": stop, "sort": stop.start} for stop in route.stops]
    entries += [{"kind": "trip", "item": trip, "sort": trip.start} for trip in route.trips]
    entries += [{"kind": "gap", "item": gap, "sort": gap.start} for gap in route.gaps]
    entries.sort(key=lambda entry: (entry["sort"], entry["kind"] != "stop"))
    for entry in entries:
        item = entry["item"]
        entry.update(start=local_time(item.start), end=local_time(item.end),
                     duration=timesince(item.start, item.end, depth=2))
    return entries


def _route_downloads(request, car_id: int) -> list[tuple[str, str, str]]:
    """The route as files to take away: (id, label, url), each with the page's own period."""
    query = {key: request.GET[key] for key in ("period", "from", "to") if request.GET.get(key)}
    if query.get("period") in services.PRESETS:
        query = {"period": query["period"]}
    suffix = f"?{urlencode(query)}"
    return [
        ("route-download-html", _("Map (HTML, opens offline)"),
         reverse("maps:route-html", args=[car_id]) + suffix),
        ("route-download-gpx", _("GPX track"), reverse("maps:route-gpx", args=[car_id]) + suffix),
        ("route-download-geojson", _("GeoJSON"),
         reverse("maps:route-geojson", args=[car_id]) + suffix),
    ]


def _route_json(route) -> dict:
    # Each sample's time as the page writes times (the user's zone, the language's format):
    # the replay shows these, the browser's Intl would write its own locale's format. The
    # sixth value is the sample's part of the route: the line and the replay never cross a
    # gap in the data.
    part_of = {id(p): index for index, part in enumerate(route.segments) for p in part}
    points = [[p.latitude, p.longitude, int(p.recorded_at.timestamp() * 1000), p.odometer,
               local_time(p.recorded_at), part_of.get(id(p), 0)] for p in route.points]
    return {
        "config": services.map_config(
            center=(points[0][0], points[0][1]) if points else (48.137, 11.576)),
        "points": points,
        "segments": _segment_ranges(route),
        "stops": [{"lat": s.latitude, "lon": s.longitude,
                   "label": _("Stop %(start)s – %(end)s (%(duration)s)") % {
                       "start": local_time(s.start), "end": local_time(s.end),
                       "duration": timesince(s.start, s.end, depth=2)}}
                  for s in route.stops],
        "start_label": _("Start"),
        "end_label": _("End"),
        "clock": replay_clock(route.points[0].recorded_at, route.points[-1].recorded_at)
        if route.points else None,
    }


def _segment_ranges(route) -> list[list[int]]:
    """[first index, last index] into `points` of each part of the route."""
    ranges, first = [], 0
    for part in route.segments:
        ranges.append([first, first + len(part) - 1])
        first += len(part)
    return ranges


@login_required
@require_GET
@screen
def car_map(request, car_id: int):
    """A car's map: where it is or was (?at=), and its route (?period= or ?from=&to=).

    For htmx: the #car-map region (the panel on the car's page) or the #car-route region.
    """
    if wants_fragment(request, "car-route"):
        context, status = _route_context(request, car_id)
        return render_screen(request, "maps/car_map.html", context, regions=["car-route"],
                             status=status)
    if wants_fragment(request, "car-map"):
        context, status = _car_map_context(request, car_id)
        context["panel"] = request.GET.get("panel") == "1"
        context["retry_url"] = context["page_url"] + ("?panel=1" if context["panel"] else "")
        return render_screen(request, "maps/car_map.html", context, regions=["car-map"],
                             status=status)
    # The car first (one call, cached): a car that is not the customer's (or a refused
    # password) ends here, before its position and route are asked.
    try:
        car = services.get_car(user=request.user, car_id=car_id)
    except UPSTREAM_ERRORS as error:
        problem = car_problem(error)
        if problem.missing and (offer := car_elsewhere(request, car_id)):
            return offer  # another customer's car: the switch is offered instead
        return render_screen(request, "maps/car_map.html",
                             {"car_id": car_id, "car": None, "problem": problem},
                             status=problem.status)
    context, status = _car_map_context(request, car_id)
    if not context["no_iq"]:
        # The route loads after the page (htmx), showing its progress: never a blank page.
        route_context, _status = _route_context(request, car_id, load=False)
        context.update(route_context)
    context.update(car=car, problem=None)
    return render_screen(request, "maps/car_map.html", context, status=status)


# --- the fleet map ------------------------------------------------------------------------


@login_required
@require_GET
@screen
def fleet_map(request):
    """All cars of the customer on one map and in a list beside it.

    The page asks nothing upstream: its #fleet-next region loads the first batch through
    htmx (fleet_batch), each batch the next, as "left open" does.
    """
    search = " ".join(request.GET.get("q", "").split())[:100]
    at = services.parse_moment(request.GET.get("at"))
    query = {"q": search} if search else {}
    if at:
        query["at"] = services.utc_param(at)
    context = {
        "search": search,
        "at": at,
        "at_input": services.local_input(at) if at else request.GET.get("at", ""),  # typed: kept
        "at_invalid": bool(request.GET.get("at")) and at is None,
        "at_text": local_time(at) if at else "",
        "zone": _zone_name(),
        "batch_url": _batch_url(query),
        "legend": fleet.legend(),
        "fleet_data": {
            "config": services.map_config(zoom=11),
            "list_rows": fleet.LIST_ROWS,
            # Words the script puts into popups and rows (the data's own texts aside).
            "labels": {
                "open_car": _("Open the car"),
                "plate": _("Licence plate"),
                # The list's count, filter and "Show more" (%(…)s filled in by the script).
                "list_shown": _("Showing %(shown)s of %(total)s cars"),
                "list_matching": _("Showing %(shown)s of %(total)s cars matching “%(filter)s”"),
                "list_none": _("No car matches “%(term)s”."),
                "list_more": _("Show %(count)s more"),
                **{f"band_{band}": str(label) for band, label in fleet.BAND_LABELS.items()},
                **{f"lock_{lock}": str(label) for lock, label in fleet.LOCK_LABELS.items()},
            },
        },
    }
    return render_screen(request, "maps/fleet_map.html", context)


def _batch_url(query: dict) -> str:
    return reverse("maps:fleet-batch") + (f"?{urlencode(query)}" if query else "")


def _budget_spent(positions) -> CallBudgetSpent | None:
    """Return the call budget's refusal if it stopped any car's call, else None."""
    return next((position.error for position in positions
                 if position.state == FAILED and isinstance(position.error, CallBudgetSpent)),
                None)


def _digits(text: str) -> bool:
    # ASCII only: str.isdigit() also accepts "²", which int() refuses.
    return text.isascii() and text.isdigit()


def _count(text: str | None) -> int | None:
    """A count carried from batch to batch in the URL (`total`, `located`), else None."""
    text = text or ""
    return int(text) if _digits(text) and len(text) <= MAX_START_DIGITS else None


def _flinkey_ids(text: str | None) -> str | None:
    """The ids of `?ids=` that can be flinkey ids (fleetadmin.web.ids), still comma-separated."""
    if text is None:
        return None
    return ",".join(str(number) for number in map(parse_id, text.split(","))
                    if number is not None)


BATCH_TEMPLATE = "maps/fleet_map.html#fleet-batch"
RETRY_TEMPLATE = "maps/fleet_map.html#fleet-retried"


@login_required
@require_GET
def fleet_batch(request):
    """htmx: a batch of cars and where they are (?start=, ?q=, ?at=), or the cars ?ids= again.

    A batch answers its cars (as JSON the map's script draws, markers and list rows), the
    status at the top of the map (progress; at the end how many are on the map; or what went
    wrong, with Retry) and the region that loads the next batch. The first batch is the
    smaller. The counts so far travel from batch to batch in the URL (`total`, `located`).
    """
    at = services.parse_moment(request.GET.get("at"))
    ids = _flinkey_ids(request.GET.get("ids"))
    if ids is not None:
        return _fleet_retry(request, ids, at)
    start = request.GET.get("start", "")
    start = int(start) if _digits(start) and len(start) <= MAX_START_DIGITS else 0
    search = " ".join(request.GET.get("q", "").split())[:100]
    query = {"q": search} if search else {}
    if at:
        query["at"] = services.utc_param(at)
    context = {"batch_url": request.get_full_path(), "start": start, "at": at}
    try:
        # "Now" comes from the fleet store when sync is on (a past moment is asked live).
        store = store_for(request.user) if at is None else None
        if store is not None:
            batch = services.stored_batch(fleet_sync=store, search=search, start=start)
        else:
            batch = services.fleet_batch(user=request.user, search=search, start=start, at=at)
            # The batch is answered whole or not at all: the cars located before the budget
            # ran out are cached, so the retry (after the wait the page names) asks only the
            # rest.
            if spent := _budget_spent(batch.positions.values()):
                raise spent
    except UPSTREAM_ERRORS as error:
        context["problem"] = problem_of(error)
        return render(request, BATCH_TEMPLATE, context, status=context["problem"].status)
    if batch.rows is not None:
        cars = fleet.stored_car_data(batch.rows)
    else:
        cars = fleet.car_data(batch.positions, at=at, cars=batch.cars,
                              last_events=batch.last_events)
    total = batch.total if batch.total is not None else _count(request.GET.get("total"))
    located = (_count(request.GET.get("located")) or 0) + sum(
        1 for car in cars if car["state"] == LOCATED)
    done = start + len(cars)
    failed = [car["id"] for car in cars if car["state"] == FAILED]
    if batch.next_start is not None:
        carried = {**query, "start": batch.next_start, "located": located}
        if total is not None:
            carried["total"] = total
        context["next_url"] = _batch_url(carried)
    context.update(
        store=store,
        as_of=(store.sampled_at or store.synced_at) if store is not None else None,
        done=done,
        # Without a count (it failed) the cars loaded so far stand in for it.
        total=total if total is not None and total >= done else done,
        located=located,
        failed=failed,
        retry_failed_url=_batch_url({**({"at": query["at"]} if at else {}),
                                     "ids": ",".join(map(str, failed))}) if failed else "",
        # The script finds each batch's data by this id's start (and removes it once read).
        script_id=f"fleet-batch-{start}",
        batch={"start": batch.start, "next": batch.next_start, "total": batch.total,
               "cars": cars, "upstream_calls": batch.upstream_calls,
               "last": batch.next_start is None},
    )
    return render(request, BATCH_TEMPLATE, context)


def _fleet_retry(request, ids: str, at):
    """htmx: the cars `ids` (that could not be located) asked again, for their rows and
    markers; those that fail again are named again, with Retry."""
    car_ids = [int(i) for i in ids.split(",") if _digits(i.strip())][:MAX_RETRY_IDS]
    context = {"at": at}
    try:
        # Only the fleet's own cars are asked about; other ids are left out.
        car_ids, found, calls = services.fleet_positions(user=request.user, car_ids=car_ids,
                                                         at=at)
        if spent := _budget_spent(found.values()):
            raise spent
    except UPSTREAM_ERRORS as error:
        context.update(problem=problem_of(error), failed=car_ids,
                       retry_failed_url=request.get_full_path())
        return render(request, RETRY_TEMPLATE, context, status=context["problem"].status)
    cars = fleet.car_data(found, at=at, ids=car_ids)
    failed = [car["id"] for car in cars if car["state"] == FAILED]
    query = {"at": services.utc_param(at)} if at else {}
    context.update(
        failed=failed,
        retry_failed_url=_batch_url({**query, "ids": ",".join(map(str, failed))}),
        batch={"cars": cars, "upstream_calls": calls, "retried": True},
        script_id=f"fleet-batch-retry-{car_ids[0] if car_ids else 0}",
    )
    return render(request, RETRY_TEMPLATE, context)


__all__ = ["NO_DEVICE", "NO_POSITION", "car_map", "fleet_batch", "fleet_map"]
