"""The reports' pages: the index, and each report as a page, a CSV or an XLSX.

Every report reads the fleet store the user may read (fleetstore.services.synced_store);
with none, the page says so and, for admins, links to Fleet sync. When the user's reach
cannot be proven now (flinkey down, slow or refusing; set-up missing), the page says that
instead, with its status: reports have no live path to fall back on. Reading only: support
users see every report.
"""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from fleetadmin.web.problems import UPSTREAM_ERRORS, problem_of
from fleetstore.services import synced_store
from reports import exports, mileage, mileage_page, rendering, sessions, utilisation
from reports.catalogue import REPORTS
from reports.forms import ReportForm, UtilisationForm, WhoHadForm, car_choices
from reports.scope import people_of

FORMATS = ("csv", "xlsx")


@login_required
@require_GET
def index(request):
    store, problem = _store(request)
    return render(request, "reports/index.html", {
        "reports": REPORTS.values(), "store": store, "problem": problem},
        status=problem.status if problem else 200)


def _store(request):
    """(the synced store the user may read or None, None), or (None, the Problem) when their
    reach cannot be proven now."""
    try:
        return synced_store(request.user), None
    except UPSTREAM_ERRORS as error:
        return None, problem_of(error)


def report_page(slug: str):
    """The view of the report `slug`."""

    @login_required
    @require_GET
    def view(request):
        return _answer(request, slug)

    view.__name__ = view.__qualname__ = slug.replace("-", "_")
    return view


def _answer(request, slug: str):
    report = REPORTS[slug]
    context = {"report": report, "reports": REPORTS.values()}
    store, problem = _store(request)
    if problem is not None:
        context.update(problem=problem)
        return render(request, "reports/report.html", context, status=problem.status)
    if store is None:
        return render(request, "reports/report.html", context)
    zone = timezone.get_current_timezone()
    choices = car_choices(store)
    form_class = UtilisationForm if slug == "utilisation" else ReportForm
    # Always bound: every field is optional (no period: the last 30 days; no car: all).
    form = form_class(request.GET, store=store, zone=zone, choices=choices)
    if not form.is_valid():
        context.update(store=store, form=form)
        return render(request, "reports/report.html", context, status=400)
    if slug == "mileage" and mileage_page.wants_live(request):
        # htmx: a batch of the cars the store cannot tell, asked live (issue 21).
        return mileage_page.live_answer(request, store=store, form=form,
                                        query=_without(request.GET, "format"))
    options = {"start": form.start, "end": form.end, "car_ids": form.car_ids}
    if slug == "utilisation":
        options.update(zone=zone, idle_days=form.idle_days(utilisation.IDLE_DAYS))
    table = report.build(store, **options)
    first, last = form.cleaned_data["first_day"], form.cleaned_data["last_day"]
    wanted = request.GET.get("format")
    if wanted in FORMATS:
        name = exports.filename(slug, first, last, wanted)
        export = exports.as_csv if wanted == "csv" else exports.as_xlsx
        return export(table, filename=name, zone=zone)
    people = table.people if table.people is not None else people_of(store)
    pages = Paginator(table.rows, rendering.PAGE_ROWS)
    page = pages.get_page(request.GET.get("page"))
    context.update(store=store, form=form, table=table, page=page,
                   rows=rendering.cells(table, page.object_list, people),
                   first_day=first, last_day=last, people=people)
    # The download and pager links keep the rest of the query with {% querystring %}.
    if slug == "mileage":
        context.update(mileage_page.page_context(
            page=page, cells=context["rows"], query=_without(request.GET, "format", "page")))
    if slug == "mileage" and len(form.car_ids) == 1:
        per_day = mileage.per_day(store, car_id=form.car_ids[0], start=form.start,
                                  end=form.end, zone=zone)
        context.update(per_day=per_day, per_day_chart=_per_day_chart(per_day))
    if slug == "sessions":
        context.update(_who_had(request, store, choices, zone))
    return render(request, "reports/report.html", context)


def _per_day_chart(per_day) -> dict:
    """What static/js/mileage_chart.js draws (through json_script): a day's km, or none."""
    return {"labels": [formats.date_format(day, "SHORT_DATE_FORMAT")
                       for day in per_day.values("day")],
            "values": per_day.values("km"), "name": gettext("km")}


def _without(query, *names):
    query = query.copy()
    for name in names:
        query.pop(name, None)
    return query


def _who_had(request, store, choices, zone) -> dict:
    """The sessions page's search: who had car X at a moment (in the reader's zone)."""
    asked = "who" in request.GET or "at" in request.GET
    search = WhoHadForm(request.GET if asked else None, choices=choices, zone=zone,
                        prefix=None)
    answer = None
    if asked and search.is_valid():
        answer = sessions.covering(store, car_id=search.cleaned_data["who"],
                                   at=search.cleaned_data["at"])
    return {"search": search, "answer": answer, "asked_at": search.cleaned_data.get("at")
            if asked and search.is_valid() else None}
