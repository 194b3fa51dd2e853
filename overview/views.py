"""The home page: the fleet's state at a glance, each figure a link to the cars or report
behind it, and the last 30 days in two charts.

Everything comes from the fleet store (overview.figures: a few aggregate queries). Without
a synced store the page says so and shows the one figure a single flinkey call answers
(how many cars), never one call per car.
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.access import can_manage_users
from cars.fleet_list import fleet_cars
from fleetadmin.upstream.clients import SetupNeeded
from fleetadmin.web.problems import UPSTREAM_ERRORS, problem_of
from fleetstore import services as store_services
from flinkey import FlinkeyError
from overview import figures, links
from overview.periods import Calendar

TEMPLATE = "overview/home.html"


@login_required
@require_GET
def home(request):
    """The landing page after sign-in."""
    store = store_services.store_for(request.user)
    if store is None:
        return _without_store(request)
    now = timezone.now()
    calendar = Calendar(now=now, zone=timezone.get_current_timezone())
    hours = settings.FLEETADMIN_LEFT_OPEN_HOURS
    cars = figures.car_counts(store, now=now, left_open_hours=hours)
    service = figures.service_counts(store, now=now)
    days = figures.chart_days(store, calendar)
    weeks = figures.weeks(days, calendar)
    context = {
        "store": store,
        "tiles": _tiles(cars, service, days[-1], weeks, calendar, hours),
        "days": days,
        "charts": _chart_data(days),
        "first_day": days[0].day,
        "today": calendar.today,
    }
    return render(request, TEMPLATE, context)


def _tiles(cars, service, today, weeks, calendar: Calendar, hours: int) -> list[dict]:
    """Each tile: its id, label, figure, an optional detail line, and where it leads."""
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
        {"id": "events-today", "label": _("Events today"), "value": today.events,
         "detail": _("%(opened)s opened, %(closed)s closed") % {
             "opened": _number(today.opened), "closed": _number(today.closed)},
         "url": links.report("sessions", start=today.day, end=today.day)},
        {"id": "km-week", "label": _("Kilometres this week"), "value": round(weeks.this_week),
         "unit": "km",
         "detail": _("Last week: %(km)s km") % {"km": _number(weeks.last_week)},
         "url": links.report("mileage", start=calendar.last_monday, end=today.day)},
    ]


def _number(value: float) -> str:
    return formats.number_format(round(value), use_l10n=True, force_grouping=True)


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
