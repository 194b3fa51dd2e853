"""Views of the events screens: a car's timeline, one event, recording one, the CSV export.

Each screen is built the shared way (fleetadmin.web.htmx, fleetadmin.web.problems): one function
view
serves the page and, for htmx, the region asked for. The timeline's regions:
- `timeline`: the list under the filters (filter changes swap it and push the URL);
- `timeline-more`: the sentinel row at the list's end; scrolling it into view (or its "Load
  more" link) swaps it for the next page's rows and a new sentinel, so what is loaded stays;
- `car-events`: the section on the car's page, loaded when it comes into view.
"""

from dataclasses import dataclass, replace
from datetime import UTC, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import push_url

from accounts.access import write_access_required
from cars import unsettled
from cars.services import get_car
from events import left_open as left_open_runs
from events import services
from events.car_time import car_local_time, implied_offset
from events.forms import EventForm, LeftOpenForm, TimelineFilterForm
from events.services import Cursor, Filters
from fleetadmin.models import UserPreferences
from fleetadmin.upstream.clients import call_budget_refusal
from fleetadmin.web.coordinates import coordinates_text
from fleetadmin.web.csv_export import ExcelCsv, cell, csv_response, file_stamp
from fleetadmin.web.elsewhere import car_elsewhere
from fleetadmin.web.htmx import (
    oob,
    render_form,
    render_screen,
    screen,
    updates,
    wants_fragment,
)
from fleetadmin.web.problems import UPSTREAM_ERRORS, car_problem, problem_of, refuse_in_form
from fleetstore.services import store_for
from flinkey import Event, NotFoundError
from maps import services as map_services
from people.directory import Directory, directory_for

TEMPLATE = "events/timeline.html"
REGIONS = ("timeline-more", "timeline", "car-events")
# Rows per upstream call when exporting (the client's maximum page).
EXPORT_PAGE_SIZE = 1000
# Rows written to the response at once: small chunks, bounded memory.
EXPORT_CHUNK_ROWS = 500


def event_problem(error: Exception):
    """Return the Problem of a failed event call, its 404 in the events screens' words."""
    return problem_of(error, not_found=_("This event does not exist or belongs to another "
                                         "customer."))


# --- links --------------------------------------------------------------------------------


def _suffix(query: dict) -> str:
    return "?" + urlencode(query) if query else ""


def timeline_url(car_id: int, filters: Filters | None = None, *, before: Cursor | None = None,
                 anchor: str = "") -> str:
    """Return the timeline's URL with its filters (and where it starts)."""
    query = filters.as_query() if filters else {}
    if before is not None:
        query["before"] = before.token()
    return (reverse("events:timeline", args=[car_id]) + _suffix(query)
            + (f"#{anchor}" if anchor else ""))


def timeline_at_day_url(event: Event) -> str:
    """Return the timeline starting at the end of the event's day (the user's day)."""
    zone = timezone.get_current_timezone()
    next_day = event.utc_date_time.astimezone(zone).date() + timedelta(days=1)
    return timeline_url(event.car_id, before=Cursor(services.day_start(next_day, zone), 0),
                        anchor=f"event-{event.id}")


def has_position(event: Event) -> bool:
    """True when the event carries a place to show (not null, not the "0, 0" of no fix)."""
    if event.latitude is None or event.longitude is None:
        return False
    # "0, 0" is what an app without a location fix sends; no car is there.
    return not (event.latitude == 0 and event.longitude == 0)


def map_url(event: Event) -> str | None:
    """Return the map of the event's OWN coordinates (a section of its detail page), or None.

    Not the car's IQ map at the event's moment: the phone that opened the car reported where
    it was, and a car without an IQ (a Box only) has no IQ map at all.
    """
    if not has_position(event):
        return None
    return reverse("events:detail", args=[event.id]) + "#event-location"


def event_map_data(event: Event) -> dict:
    """What static/js/maps.js draws for the event: its place, centred, with one marker."""
    return {
        "config": map_services.map_config(center=(event.latitude, event.longitude), zoom=16),
        "marker": {"lat": event.latitude, "lon": event.longitude,
                   "title": {services.OPENED: _("Where the car was opened"),
                             services.CLOSED: _("Where the car was closed")}.get(
                       services.KIND.get(event.type), _("Where the event was recorded"))},
    }


@dataclass(frozen=True)
class Row:
    """An event as a timeline row shows it."""

    event: Event
    kind: str  # "opened", "closed" or "" (a type this dashboard does not know)
    app: str
    map_url: str | None
    new: bool = False

    @property
    def position(self) -> str:
        """Return the coordinates as text ("" without a position)."""
        if self.map_url is None:
            return ""
        return coordinates_text(self.event.latitude, self.event.longitude)


def row_of(event: Event, *, new: bool = False) -> Row:
    """Return the row showing `event`."""
    return Row(event, services.KIND.get(event.type, ""), services.describe_agent(event.user_agent),
               map_url(event), new)


def kind_label(event: Event) -> str:
    """Return "opened", "closed" (translated) or the API's word for another type."""
    kind = services.KIND.get(event.type)
    return {services.OPENED: _("opened"), services.CLOSED: _("closed")}.get(kind, event.type)


# --- the timeline -------------------------------------------------------------------------


def _filter_form(request) -> TimelineFilterForm:
    # Its own ids: the record dialog on the same page has fields of the same names.
    # The fleet's people (one query) name the ids in the filter and in every row.
    return TimelineFilterForm(request.GET, auto_id="filter_%s",
                              people=directory_for(request.user))


def _timeline_context(request, car_id: int, form: TimelineFilterForm, cursor: Cursor | None,
                      *, continuing: bool = False, created: Event | None = None
                      ) -> tuple[dict, int]:
    """The rows of one timeline page and their links; the upstream call is made here."""
    context = {
        "car_id": car_id, "form": form, "cursor": cursor, "days": [], "problem": None,
        "filters": Filters(), "pinned": None, "next_url": None,
        "time_zone": timezone.get_current_timezone_name(), "people": form.people,
    }
    if not form.is_valid():
        context["filters_invalid"] = True
        return context, 400
    filters = form.filters()
    zone = timezone.get_current_timezone()
    context.update(
        filters=filters,
        this_url=timeline_url(car_id, filters, before=cursor),
        newest_url=timeline_url(car_id, filters),
        clear_url=timeline_url(car_id),
        export_url=reverse("events:export", args=[car_id]) + _suffix(filters.as_query()),
        create_url=reverse("events:create", args=[car_id]) + _suffix(filters.as_query()),
    )
    try:
        page = services.page_of_events(user=request.user, car_id=car_id, filters=filters,
                                       cursor=cursor, zone=zone)
    except UPSTREAM_ERRORS as error:
        problem = car_problem(error)
        context.update(problem=problem, retry_url=context["this_url"])
        return context, problem.status
    new_id = created.id if created else None
    days = services.by_day([row_of(e, new=e.id == new_id) for e in page.events], zone,
                           after=cursor if continuing else None, when=lambda row: row.event)
    context["days"] = days
    if created and all(row.event.id != created.id for day in days for row in day.events):
        # Recorded further back than this page reaches: shown on top, with a way to it.
        context["pinned"] = row_of(created, new=True)
        context["pinned_url"] = timeline_at_day_url(created)
    if page.next_cursor:
        context["next_url"] = timeline_url(car_id, filters, before=page.next_cursor)
    return context, 200


@login_required
@require_GET
@screen
def timeline(request, car_id: int):
    """A car's events, newest first, by day; regions `timeline`, `timeline-more`, `car-events`."""
    form = _filter_form(request)
    cursor = Cursor.parse(request.GET.get("before"))
    if any(wants_fragment(request, region) for region in REGIONS):
        continuing = wants_fragment(request, "timeline-more")
        context, status = _timeline_context(request, car_id, form, cursor,
                                            continuing=continuing)
        response = render_screen(request, TEMPLATE, context, regions=REGIONS, status=status)
        if wants_fragment(request, "timeline") and "this_url" in context:
            # The address bar shows the canonical URL of the filters (back button, sharing).
            push_url(response, context["this_url"])
        return response
    # The page names the car; a car that is not there has no timeline to ask for.
    car, car_status = _car_of(request, car_id)
    if car_status != 200 and car.missing:
        if offer := car_elsewhere(request, car_id):
            return offer  # another customer's car: the switch is offered instead
        return render(request, TEMPLATE, {"car_id": car_id, "car": None, "car_problem": car,
                                          "form": form}, status=car_status)
    context, status = _timeline_context(request, car_id, form, cursor)
    context["unsettled"] = unsettled.note(request, car_id=car_id)
    if car_status == 200:
        context["car"] = car
    else:
        context["car_problem"] = car
    return render(request, TEMPLATE, context, status=status)


def _car_of(request, car_id: int):
    """Return (car, 200) or (its Problem, status): the heading names the car."""
    try:
        return get_car(user=request.user, car_id=car_id), 200
    except UPSTREAM_ERRORS as error:
        problem = car_problem(error)
        return problem, problem.status


# --- one event ----------------------------------------------------------------------------


@login_required
@require_GET
@screen
def event_detail(request, event_id: int):
    """One event with its car, a map link at its moment and the way back to its day."""
    context = {"event_id": event_id, "problem": None, "row": None, "car": None,
               "car_problem": None}
    try:
        event = services.get_event(user=request.user, event_id=event_id)
    except UPSTREAM_ERRORS as error:
        context["problem"] = event_problem(error)
        return render(request, "events/event_detail.html", context,
                      status=context["problem"].status)
    car, status = _car_of(request, event.car_id)
    if status == 200:
        context["car"] = car
    else:
        context["car_problem"] = car
    context.update(row=row_of(event), event=event, kind_label=kind_label(event),
                   people=directory_for(request.user),
                   utc_text=formats.date_format(event.utc_date_time.astimezone(UTC),
                                                "DATETIME_FORMAT") + " UTC",
                   local_offset=implied_offset(event.local_date_time, event.utc_date_time),
                   day_url=timeline_at_day_url(event),
                   timeline_url=timeline_url(event.car_id),
                   map_data=event_map_data(event) if has_position(event) else None)
    return render(request, "events/event_detail.html", context)


# --- recording an event -------------------------------------------------------------------


def _form_initial(request) -> dict:
    preferences = UserPreferences.objects.filter(user=request.user).first()
    now = timezone.localtime().replace(microsecond=0)
    return {"moment": now.replace(tzinfo=None),
            "user_id": getattr(preferences, "flinkey_user_id", None)}


def _refused(form: EventForm, error: Exception, context: dict) -> int:
    """Put flinkey's refusal next to the field it is about (or on top); return the status."""
    problem = event_problem(error)
    if isinstance(error, NotFoundError) and error.kind == "car":
        problem = replace(problem, headline=_("This car does not exist or belongs to another "
                                              "customer."))
    if problem.outcome_unknown:
        problem = replace(problem, advice=_("Look for the event in the timeline before you "
                                            "try again."))
    context["problem"] = problem
    name = form.field_refused(error)
    if name == "user_id" and isinstance(error, NotFoundError):
        form.add_error(name, _("flinkey knows no user with this id for your customer. "
                               "flinkey said: “%(detail)s”") % {"detail": problem.detail})
        return problem.status
    return refuse_in_form(form, problem, name)


def _form_response(request, context: dict, status: int = 200):
    return render_form(request, "events/event_form.html", region="event-form",
                       title=context["title"], context=context, status=status)


@write_access_required
@require_http_methods(["GET", "POST"])
@screen
def event_create(request, car_id: int):
    """Record an event (a missed opening or closing) in the dialog (htmx) or on its own page."""
    filter_form = _filter_form(request)
    people = filter_form.people
    filters = filter_form.filters() if filter_form.is_valid() else Filters()
    query = _suffix(filters.as_query())
    context = {
        "car_id": car_id,
        "title": _("Record an event"),
        "action": reverse("events:create", args=[car_id]) + query,
        "position_url": reverse("events:position", args=[car_id]),
        "cancel_url": timeline_url(car_id, filters),
        "timeline_url": timeline_url(car_id, filters),
        "user_agent": services.user_agent(),
        "time_zone": timezone.get_current_timezone_name(),
        "car_time_zone": settings.FLEETADMIN_FLEET_TIME_ZONE,
        "problem": None,
    }
    if request.method == "GET":
        context["form"] = EventForm(initial=_form_initial(request), people=people)
        context["unsettled"] = unsettled.note(request, car_id=car_id)
        return _form_response(request, context)

    if "fill_position" in request.POST:
        # Without JavaScript the position button submits the form: fill it, save nothing.
        values = {name: request.POST.get(name) for name in EventForm.base_fields}
        position = _position_context(request, car_id, values, people)
        context.update(position)
        context["form"] = position["position_form"]
        return _form_response(request, context)

    form = EventForm(request.POST, people=people)
    context["form"] = form
    if not form.is_valid():
        return _form_response(request, context, 422)
    new = form.new_event(car_id)
    try:
        event_id = services.create_event(user=request.user, new=new)
    except UPSTREAM_ERRORS as error:
        # Never retried: a timed-out PUT may have created the event. The car's next
        # screens say so too (cars.unsettled), also after this dialog is closed.
        status = _refused(form, error, context)
        unsettled.remember(request, car_id=car_id, problem=context["problem"],
                           what=unsettled.EVENT)
        return _form_response(request, context, status)
    except ValueError:
        form.add_error(None, _("fleetadmin could not send these values."))
        return _form_response(request, context, 422)

    local = timezone.localtime(new.moment)
    messages.success(request, _("The event was recorded: %(what)s on %(day)s at %(time)s.") % {
        "what": _("opened") if new.kind == services.OPENED else _("closed"),
        "day": formats.date_format(local, "SHORT_DATE_FORMAT"), "time": local.strftime("%H:%M:%S")})
    if not request.htmx:
        return redirect(timeline_url(car_id, filters, anchor=f"event-{event_id}"))
    created = Event(
        id=event_id, car_id=car_id, user_id=new.user_id, type=services.API_TYPE[new.kind],
        utc_date_time=new.moment.astimezone(UTC), local_date_time=car_local_time(new.moment),
        user_agent=services.user_agent(), latitude=new.latitude, longitude=new.longitude,
    )
    # The timeline's first page again (one call), the new event marked, or pinned on top.
    timeline_context, _status = _timeline_context(request, car_id, filter_form, None,
                                                  created=created)
    return updates(request, oob(request, f"{TEMPLATE}#timeline", timeline_context))


def _position_context(request, car_id: int, values: dict, people: Directory | None = None
                      ) -> dict:
    """The coordinate fields filled from the car's latest position (or why they are not)."""
    context = {"position": None, "position_problem": None}
    try:
        location = services.current_position(user=request.user, car_id=car_id)
    except UPSTREAM_ERRORS as error:
        context["position_problem"] = car_problem(error)
    else:
        if location.latitude is None or location.longitude is None:
            context["position_missing"] = True
        else:
            values = {**values, "latitude": location.latitude, "longitude": location.longitude}
            context["position"] = location
    context["position_form"] = EventForm(initial={k: v for k, v in values.items() if v},
                                         people=people)
    return context


@login_required
@require_GET
def event_position(request, car_id: int):
    """The #event-position fields filled with the car's current position (one call)."""
    values = {name: request.GET.get(name, "")[:40] for name in ("latitude", "longitude")}
    context = _position_context(request, car_id, values)
    context.update(form=context["position_form"],
                   position_url=reverse("events:position", args=[car_id]))
    status = context["position_problem"].status if context["position_problem"] else 200
    return render(request, "events/event_form.html#event-position", context, status=status)


# --- export -------------------------------------------------------------------------------


def _csv_header(zone_name: str) -> list[str]:
    return [
        _("event id"), _("car id"), _("event"), _("time (UTC)"),
        _("time (%(zone)s)") % {"zone": zone_name}, _("flinkey user id"), _("person"), _("app"),
        _("user agent"), _("latitude"), _("longitude"),
    ]


class _CsvRows:
    """Turns events into CSV rows; the words for types and apps are worked out once each."""

    def __init__(self, zone, people: Directory):
        self.zone = zone
        self.people = people
        self.kinds = {Event.OPENED: cell(_("opened")), Event.CLOSED: cell(_("closed"))}
        self.apps: dict[str | None, str] = {}

    def row(self, event: Event) -> list:
        app = self.apps.get(event.user_agent)
        if app is None:
            # A fleet has a handful of app versions: 100,000 rows, a few dozen look-ups.
            app = self.apps[event.user_agent] = cell(services.describe_agent(event.user_agent))
        kind = self.kinds.get(event.type)
        return [
            event.id, event.car_id, kind if kind is not None else cell(event.type),
            event.utc_date_time.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            event.utc_date_time.astimezone(self.zone).isoformat(),
            event.user_id, self.name_of(event.user_id), app, cell(event.user_agent),
            event.latitude, event.longitude,
        ]


    def name_of(self, user_id) -> str:
        person = self.people.get(user_id)
        return cell(person.name) if person else ""


@login_required
@require_GET
def event_export(request, car_id: int):
    """The filtered timeline as CSV: streamed page by page (cursor), capped, formulas inert."""
    form = _filter_form(request)
    zone = timezone.get_current_timezone()
    cap = settings.FLEETADMIN_EVENTS_EXPORT_MAX_ROWS
    if not form.is_valid():
        # Before any byte is streamed: a bad filter is a page saying so, not a broken file.
        context, status = _timeline_context(request, car_id, form, None)
        return render(request, TEMPLATE, {**context, "car": None}, status=status)
    filters = form.filters()
    # The car first (one call), as the timeline page does: flinkey lists no events for
    # another customer's car, which would be a file with only a header instead of a 404.
    try:
        get_car(user=request.user, car_id=car_id)
        walk = services.EventWalk(user=request.user, car_id=car_id, filters=filters, zone=zone,
                                  limit=cap, size=EXPORT_PAGE_SIZE)
        walk.start()  # the first page: a failure here is still an error page
    except UPSTREAM_ERRORS as error:
        problem = car_problem(error)
        if problem.missing:
            return render(request, TEMPLATE, {"car_id": car_id, "car": None,
                                              "car_problem": problem, "form": form},
                          status=problem.status)
        context, _status = _timeline_context(request, car_id, form, None)
        context.update(problem=problem, days=[], car=None,
                       retry_url=request.get_full_path())
        return render(request, TEMPLATE, context, status=problem.status)

    # In the style of the user's language: German Excel wants ";", decimal commas, a BOM.
    writer = ExcelCsv(zone=zone)
    header = _csv_header(timezone.get_current_timezone_name())

    def rows():
        yield writer.row(header)
        rows_of = _CsvRows(zone, form.people)
        chunk = []
        try:
            for event in walk:
                chunk.append(writer.row(rows_of.row(event)))
                if len(chunk) >= EXPORT_CHUNK_ROWS:
                    yield "".join(chunk)
                    chunk = []
        except UPSTREAM_ERRORS as error:
            chunk.append(writer.row([cell("# " + _(
                "The export is incomplete: flinkey failed after %(count)s rows (%(reason)s).")
                % {"count": walk.sent, "reason": problem_of(error).headline})]))
        if walk.truncated:
            chunk.append(writer.row(["# " + _(
                "Stopped at %(count)s rows, the export limit. Narrow the date range to export "
                "the rest.") % {"count": f"{cap:,}"}]))
        yield "".join(chunk)

    return csv_response(rows(), writer=writer,
                        filename=f"fleetadmin-events-car-{car_id}-{file_stamp(zone)}.csv")


# --- cars left open -----------------------------------------------------------------------


def _left_open_url(hours: int, **extra) -> str:
    return reverse("events:left-open") + _suffix({"hours": hours, **extra})


@login_required
@require_GET
@screen
def left_open(request):
    """Cars opened and not closed again for more than N hours, longest first, in batches.

    The page answers at once; its #left-open region asks for batch after batch of cars
    (one events call per car) and shows progress. Without JavaScript, `all=1` checks the
    whole fleet in one request.
    """
    form = LeftOpenForm({"hours": request.GET.get("hours") or settings.FLEETADMIN_LEFT_OPEN_HOURS})
    run = request.GET.get("run", "")
    run = run if left_open_runs.valid_run(run) else left_open_runs.new_run()
    context = {"form": form, "report": None, "problem": None, "next_url": None, "run": run}
    if not form.is_valid():
        return render_screen(request, "events/left_open.html", context, regions=["left-open"],
                             status=400)
    hours = form.cleaned_data["hours"]
    region = wants_fragment(request, "left-open")
    everything = request.GET.get("all") == "1"
    context.update(hours=hours, all_url=_left_open_url(hours, run=run, all=1),
                   restart_url=_left_open_url(hours))
    if not region and not everything:
        # The page itself asks nothing: its region starts the first batch when it loads.
        context["next_url"] = _left_open_url(hours, run=run, upto=left_open_runs.BATCH_SIZE)
        context["starting"] = True
        return render(request, "events/left_open.html", context)
    # (The page itself asks nothing; its region, or `all=1`, reads the store.)
    store = store_for(request.user)
    if store is not None:
        # Fleet sync is on: the whole fleet at once from the store, saying how old it is.
        now = timezone.now()
        report = left_open_runs.stored_report(store, hours=hours, now=now)
        context.update(report=report, now=now, store=store, people=directory_for(request.user),
                       rows=[(state, timeline_url(state.car.id))
                             for state in report.left_open(hours=hours, now=now)])
        return render_screen(request, "events/left_open.html", context, regions=["left-open"])
    upto = None if everything else _positive_int(request.GET.get("upto"),
                                                  left_open_runs.BATCH_SIZE)
    status = 200
    try:
        report = left_open_runs.check(user=request.user, run=run, upto=upto,
                                      retry_failed=request.GET.get("retry") == "1")
    except UPSTREAM_ERRORS as error:
        problem = problem_of(error)
        context.update(problem=problem, retry_url=_left_open_url(hours, run=run, upto=upto or ""))
        status = problem.status
    else:
        checked_upto = report.checked
        if report.failed and (spent := call_budget_refusal(request.user)):
            # The failed cars were not asked at all: say why, not "flinkey did not answer".
            context["budget_problem"] = problem_of(spent)
        context.update(
            report=report, now=timezone.now(), people=directory_for(request.user),
            rows=[(state, timeline_url(state.car.id)) for state in
                  report.left_open(hours=hours, now=timezone.now())],
            retry_url=_left_open_url(hours, run=run, upto=checked_upto, retry=1),
        )
        if not report.done and not everything:
            context["next_url"] = _left_open_url(
                hours, run=run, upto=checked_upto + left_open_runs.BATCH_SIZE)
    return render_screen(request, "events/left_open.html", context, regions=["left-open"],
                         status=status)


def _positive_int(value, default: int) -> int:
    # The batch position in the URL: anything else starts from the first batch.
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return default
    return number if number > 0 else default
