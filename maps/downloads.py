"""Downloads of a car's map: the route (HTML map, GPX, GeoJSON) and a moment (HTML map).

The period and the moment are read exactly as the car map page reads them (same query
parameters), so a download link carries the page's own query. Read-only: anyone who may see
the car map (support users too) may download it. Bad input and upstream failures are told on
a page, in the car screens' words (never a stack trace); maps/takeaway.py builds the files.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.timesince import timesince
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from fleetadmin.web.coordinates import coordinates_text
from fleetadmin.web.dates import local_time
from fleetadmin.web.problems import UPSTREAM_ERRORS, car_problem
from maps import services, takeaway
from maps.services import LOCATED


def route_segments(route) -> list[list]:
    """The route's parts, as the route knows them: its `segments` when it tells where the
    data has gaps, else one part. Nothing is drawn or written between two parts, and no point
    is invented."""
    segments = getattr(route, "segments", None)
    if segments:
        return [list(segment) for segment in segments]
    return [list(route.points)] if route.points else []


def _problem_page(request, car_id, problem, status, lead):
    return render(request, "maps/download_problem.html",
                  {"car_id": car_id, "problem": problem, "lead": lead}, status=status)


def _car_facts(car) -> list[tuple[str, str]]:
    return [(_("Car"), car.name or ""), (_("Licence plate"), car.license_plate or "—")]


def _stop_text(stop) -> str:
    return _("Stop %(start)s – %(end)s (%(duration)s)") % {
        "start": local_time(stop.start), "end": local_time(stop.end),
        "duration": timesince(stop.start, stop.end, depth=2)}


def _load_route(request, car_id):
    """Return (car, route, None), or (None, None, response) telling what went wrong."""
    _preset, _start, _end, period = services.route_period(request.GET)
    if period is None:
        return None, None, _problem_page(
            request, car_id, None, 400,
            _("Choose a period: a start before the end (at most 31 days)."))
    try:
        car = services.get_car(user=request.user, car_id=car_id)
        route = services.route(user=request.user, car_id=car_id, start=period[0],
                               end=period[1])
    except UPSTREAM_ERRORS as error:
        problem = car_problem(error)
        return None, None, _problem_page(request, car_id, problem, problem.status,
                                         _("The route could not be loaded."))
    return car, route, None


def _file(content, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = takeaway.attachment(name)
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _day(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d")


@login_required
@require_GET
def route_html(request, car_id: int):
    """The route as a self-contained HTML map (?period= or ?from=&to=, as the map page)."""
    car, route, failure = _load_route(request, car_id)
    if failure:
        return failure
    zone = timezone.get_current_timezone_name()
    facts = [*_car_facts(car),
             (_("Period"), _("%(start)s to %(end)s") % {"start": local_time(route.start),
                                                        "end": local_time(route.end)}),
             (_("Times in"), zone),
             (_("Positions"), str(len(route.points)))]
    if route.odometer_km is not None:
        facts.append((_("Odometer"), _("%(km)s km driven (odometer)") % {
            "km": formats.number_format(route.odometer_km, 1, use_l10n=True,
                                        force_grouping=True)}))
    note = ""
    if route.failed:
        note = ngettext("%(count)s sample could not be loaded; the route may miss a part.",
                        "%(count)s samples could not be loaded; the route may miss parts.",
                        route.failed) % {"count": route.failed}
    elif route.no_iq:
        note = _("No flinkey IQ in this car, so it has no route.")
    elif not route.points:
        note = _("No positions in this period.")
    segments = route_segments(route)
    marks = []
    if route.points:
        first, last = route.points[0], route.points[-1]
        marks.append(takeaway.Mark(first.latitude, first.longitude,
                                   _("Start") + " " + local_time(first.recorded_at), "start"))
        marks.append(takeaway.Mark(last.latitude, last.longitude,
                                   _("End") + " " + local_time(last.recorded_at), "end"))
    marks += [takeaway.Mark(stop.latitude, stop.longitude, _stop_text(stop), "stop")
              for stop in route.stops]
    sheet = takeaway.Sheet(
        title=_("Route of %(name)s") % {"name": car.name},
        heading=_("Route of %(name)s") % {"name": car.name},
        facts=tuple(facts), note=note,
        table_caption=_("Stops of 15 minutes or more"),
        table_head=(_("From"), _("Until"), _("Duration"), _("Coordinates")),
        table_rows=tuple((local_time(s.start), local_time(s.end),
                          timesince(s.start, s.end, depth=2),
                          coordinates_text(s.latitude, s.longitude)) for s in route.stops),
    )
    html = takeaway.html_map(
        sheet=sheet, marks=marks, language=get_language() or "en",
        lines=[[(p.latitude, p.longitude) for p in segment] for segment in segments])
    name = takeaway.file_name(car.name, car_id, _day(route.start), "html")
    return _file(html, "text/html; charset=utf-8", name)


@login_required
@require_GET
def route_gpx(request, car_id: int):
    """The route as GPX 1.1: a track (times in UTC) and the stops as waypoints."""
    car, route, failure = _load_route(request, car_id)
    if failure:
        return failure
    name = " · ".join(part for part in (car.name, car.license_plate) if part)
    content = takeaway.gpx(
        name=name or _("Car %(id)s") % {"id": car_id},
        description=_("%(start)s to %(end)s") % {"start": takeaway.utc_text(route.start),
                                                 "end": takeaway.utc_text(route.end)},
        segments=route_segments(route), stops=route.stops,
        stop_name=lambda stop: _("Stop %(duration)s") % {
            "duration": timesince(stop.start, stop.end, depth=2)})
    return _file(content, "application/gpx+xml",
                 takeaway.file_name(car.name, car_id, _day(route.start), "gpx"))


@login_required
@require_GET
def route_geojson(request, car_id: int):
    """The route as GeoJSON: the line with each sample's UTC time, and the stops as points."""
    car, route, failure = _load_route(request, car_id)
    if failure:
        return failure
    content = takeaway.geojson(
        properties={"car_id": car_id, "name": car.name, "license_plate": car.license_plate,
                    "start": takeaway.utc_text(route.start),
                    "end": takeaway.utc_text(route.end),
                    # Samples flinkey did not answer: the line may miss parts there.
                    "failed_samples": route.failed},
        segments=route_segments(route), stops=route.stops)
    return _file(content, "application/geo+json",
                 takeaway.file_name(car.name, car_id, _day(route.start), "geojson"))


@login_required
@require_GET
def moment_html(request, car_id: int):
    """Where the car was at ?at= (or is now, without it), as a self-contained HTML map."""
    raw = request.GET.get("at")
    at = services.parse_moment(raw)
    if raw and at is None:
        return _problem_page(request, car_id, None, 400,
                             _("This is not a date and time."))
    try:
        car = services.get_car(user=request.user, car_id=car_id)
        position = services.car_position(user=request.user, car_id=car_id, at=at)
    except UPSTREAM_ERRORS as error:
        problem = car_problem(error)
        return _problem_page(request, car_id, problem, problem.status,
                             _("The position could not be loaded."))
    zone = timezone.get_current_timezone_name()
    facts = [*_car_facts(car),
             (_("Asked for"), local_time(at) if at else _("now")),
             (_("Times in"), zone)]
    marks, note = [], ""
    if position.state == LOCATED:
        loc = position.location
        fix = local_time(loc.recorded_at) if loc.recorded_at else "—"
        facts += [(_("Position fix"), fix),
                  (_("Coordinates"), coordinates_text(loc.latitude, loc.longitude))]
        marks.append(takeaway.Mark(loc.latitude, loc.longitude,
                                   _("Position at %(time)s") % {"time": fix}, "position"))
    else:
        note = _("No position stored near this moment.") if at else _(
            "No position reported yet.")
    heading = _("Where %(name)s was") % {"name": car.name}
    html = takeaway.html_map(sheet=takeaway.Sheet(title=heading, heading=heading,
                                                  facts=tuple(facts), note=note),
                             lines=[], marks=marks, language=get_language() or "en")
    name = takeaway.file_name(car.name, car_id, _day(at or timezone.now()), "html")
    return _file(html, "text/html; charset=utf-8", name)
