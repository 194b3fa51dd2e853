"""The home page: the fleet's state at a glance, each figure a link to the cars or report
behind it, and the last 30 days in two charts.

Everything comes from the fleet store (overview.figures: a few aggregate queries; the chart
days from their roll-ups, overview.charts). Without a synced store the page says so and
shows the one figure a single flinkey call answers (how many cars), never one call per car.

While a zone's chart days are being rolled up, the page shows its tiles at once and the
charts region ("Preparing the charts…") asks again every POLL_SECONDS; after POLLS
answers without them it stops and says the background worker may not be running.
"""

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.access import can_manage_users
from cars.fleet_list import fleet_cars
from fleetadmin.upstream.clients import SetupNeeded
from fleetadmin.web.htmx import screen, wants_fragment
from fleetadmin.web.problems import UPSTREAM_ERRORS, problem_of
from fleetstore import services as store_services
from flinkey import FlinkeyError
from overview import charts as chart_days
from overview import figures, links
from overview.periods import Calendar

TEMPLATE = "overview/home.html"
CHARTS_REGION = "home-charts"
# The charts region asks again every POLL_SECONDS (the template's hx-trigger), POLLS times:
# about a minute, after which it says what to do instead of waiting on.
POLL_SECONDS = 2
POLLS = 30
# The tiles that come from the chart days (shown as "Preparing…" until they are there).
DAY_TILES = ("events-today", "km-week")


@screen
@login_required
@require_GET
def home(request):
    """The landing page after sign-in; for htmx's poll, its charts region alone."""
    store = store_services.store_for(request.user)
    if store is None:
        return _without_store(request)
    now = timezone.now()
    calendar = Calendar(now=now, zone=timezone.get_current_timezone())
    shown = chart_days.charts(store, calendar)
    context = {"store": store, "today": calendar.today, "poll_seconds": POLL_SECONDS,
               "first_day": calendar.days[0], **_charts_context(request, shown)}
    if store.created_at > calendar.start(calendar.days[0]):
        # The store samples from the day sync was turned on: the km chart says so.
        context["sync_began"] = timezone.localtime(store.created_at).date()
    if wants_fragment(request, CHARTS_REGION):
        # The poll: the region, and once the days are there the tiles made of them.
        context["day_tiles"] = ([] if shown.preparing
                                else _day_tiles(shown.days, calendar, store.created_at))
        return render(request, f"{TEMPLATE}#{CHARTS_REGION}", context)
    hours = settings.FLEETADMIN_LEFT_OPEN_HOURS
    cars = figures.car_counts(store, now=now, left_open_hours=hours)
    service = figures.service_counts(store, now=now)
    day_tiles = (_pending_day_tiles(calendar) if shown.preparing
                 else _day_tiles(shown.days, calendar, store.created_at))
    context["tiles"] = _tiles(cars, service, hours) + day_tiles
    return render(request, TEMPLATE, context)


def _charts_context(request, shown: chart_days.Charts) -> dict:
    """The charts region's context: the days and their chart data, or the poll's state."""
    if not shown.preparing:
        return {"days": shown.days, "charts": _chart_data(shown.days),
                "behind": shown.behind, "preparing": False}
    try:
        polls = int(request.GET.get("polls", 0)) if wants_fragment(request, CHARTS_REGION) else 0
    except ValueError:
        polls = 0
    polls = max(polls, 0)
    return {"preparing": True, "polls": polls + 1, "gave_up": polls >= POLLS,
            "waited_seconds": POLLS * POLL_SECONDS}


def _tiles(cars, service, hours: int) -> list[dict]:
    """Each tile of the fleet's state now: its id, label, figure, an optional detail line,
    and where it leads."""
    return [
        {"id": "cars", "label": _("Cars"), "value": cars.cars, "url": links.car_list()},
        {"id": "located", "label": _("Located in the last hour"), "value": cars.located,
         "url": links.fleet_map()},
        {"id": "silent", "label": _("IQ silent for more than 24 h"), "value": cars.silent,
         "url": links.car_list(silent=1), "warn": cars.silent > 0},
        {"id": "open", "label": _("Open now"), "value": cars.open,
         "url": links.car_list(state="open")},
        {"id": "left-open", "label": _("Left open for more than %(hours)s h") % {"hours": hours},
         "value": cars.left_open, "url": links.left_open(hours=hours),
         "warn": cars.left_open > 0},
        {"id": "service-ended", "label": _("Service ended"), "value": service.ended,
         "url": links.car_list(service="ended"), "warn": service.ended > 0},
        {"id": "service-ending", "label": _("Service ending within 30 days"),
         "value": service.ending, "url": links.car_list(service="ending")},
    ]


def _day_tiles(days, calendar: Calendar, sync_began) -> list[dict]:
    """The tiles made of the chart days: events today, kilometres this week (with the day
    its count starts on, when fleet sync began within the two weeks: no samples before)."""
    today, weeks = days[-1], figures.weeks(days, calendar)
    return [
        {"id": "events-today", "label": _("Events today"), "value": today.events,
         "detail": _("%(opened)s opened, %(closed)s closed") % {
             "opened": _number(today.opened), "closed": _number(today.closed)},
         "url": links.report("sessions", start=today.day, end=today.day)},
        {"id": "km-week", "label": _("Kilometres this week"), "value": _whole(weeks.this_week),
         "unit": "km",
         "detail": _km_week_detail(weeks, calendar, sync_began),
         "url": links.report("mileage", start=calendar.last_monday, end=today.day)},
    ]


def _km_week_detail(weeks, calendar: Calendar, sync_began) -> str:
    """Last week's kilometres, or from when they are counted if fleet sync began since."""
    since = formats.date_format(timezone.localtime(sync_began).date(), "SHORT_DATE_FORMAT")
    if sync_began > calendar.start(calendar.this_monday):
        return _("Counted from %(since)s, when fleet sync began") % {"since": since}
    if sync_began > calendar.start(calendar.last_monday):
        return _("Last week, from %(since)s: %(km)s km") % {
            "since": since, "km": _number(weeks.last_week)}
    return _("Last week: %(km)s km") % {"km": _number(weeks.last_week)}


def _pending_day_tiles(calendar: Calendar) -> list[dict]:
    """The day tiles while the chart days are being prepared: their links, no figure yet."""
    labels = {"events-today": _("Events today"), "km-week": _("Kilometres this week")}
    urls = {"events-today": links.report("sessions", start=calendar.today, end=calendar.today),
            "km-week": links.report("mileage", start=calendar.last_monday, end=calendar.today)}
    return [{"id": name, "label": labels[name], "url": urls[name], "pending": True}
            for name in DAY_TILES]


def _number(value: float) -> str:
    return formats.number_format(_whole(value), use_l10n=True, force_grouping=True)


def _whole(value: float) -> int:
    """Half up, as floatformat rounds the charts' tables: 1,416.5 km is 1,417 in both
    (Python's round() would say 1,416 on the tile)."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _chart_data(days) -> dict:
    """What static/js/overview.js draws (through json_script): labels, series, their names."""
    return {
        "labels": [formats.date_format(day.day, "SHORT_DATE_FORMAT") for day in days],
        "events": {
            "opened": [day.opened for day in days],
            "closed": [day.closed for day in days],
            "names": {"opened": _("Opened"), "closed": _("Closed")},
        },
        "km": {
            "values": [round(day.km, 1) for day in days],
            "name": _("Kilometres"),
        },
    }


def _without_store(request):
    """No synced store: say why, and show the car count (one list call, shared and cached)."""
    state, problem, cars = "off", None, None
    try:
        fleet = store_services.fleet_of(request.user)
    except (SetupNeeded, FlinkeyError) as error:
        problem = problem_of(error)
    else:
        sync = store_services.enabled_sync(fleet)
        state = "pending" if sync is not None else "off"
        try:
            cars = len(fleet_cars(user=request.user))
        except UPSTREAM_ERRORS as error:
            problem = problem_of(error)
    context = {
        "store": None,
        "sync_state": state,
        "problem": problem,
        "can_manage_sync": can_manage_users(request.user),
        "tiles": [] if cars is None else [
            {"id": "cars", "label": _("Cars"), "value": cars, "url": links.car_list()}],
        "today": timezone.localdate(),
        "first_day": timezone.localdate() - timedelta(days=29),
    }
    return render(request, TEMPLATE, context, status=problem.status if problem else 200)
