"""The car list's bulk actions: export the selected cars as CSV, delete them after one confirmation.

The list's rows carry a box each inside one form (#car-bulk) around the table, so both
actions work as plain form submissions, with or without script. Nothing here is asked of
flinkey before an action is: the list page itself costs no extra call.
"""

import secrets
from collections import Counter
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import write_access_required
from cars import bulk
from cars.retiring import CountConfirmation
from cars.services import ListParams
from fleetadmin.web.csv_export import file_stamp
from fleetadmin.web.htmx import screen
from fleetadmin.web.problems import UPSTREAM_ERRORS, car_problem

TEMPLATE = "cars/car_bulk_delete.html"


def _list_url(params: ListParams) -> str:
    query = params.as_query()
    return reverse("cars:list") + ("?" + urlencode(query) if query else "")


def _selection_or_redirect(request, data, params: ListParams):
    """Return (ids, None), or (None, a redirect to the list saying what is wrong)."""
    try:
        ids = bulk.selected_ids(data)
    except bulk.TooMany:
        messages.warning(request, _("Select at most %(count)s cars at a time.") % {
            "count": bulk.MAX_SELECTED})
        return None, redirect(_list_url(params))
    if not ids:
        messages.warning(request, _("Select at least one car first: tick the box next to "
                                    "its name."))
        return None, redirect(_list_url(params))
    return ids, None


def _unavailable(request, params: ListParams, error: Exception, title: str):
    problem = car_problem(error)
    context = {"title": title, "problem": problem, "list_url": _list_url(params),
               "cancel_url": _list_url(params)}
    return render(request, "cars/car_unavailable.html", context, status=problem.status)


@write_access_required
@require_GET
@screen
def car_export(request):
    """The selected cars' fields as CSV (one list call), every cell made inert for spreadsheets."""
    params = ListParams.from_query(request.GET)
    ids, refusal = _selection_or_redirect(request, request.GET, params)
    if refusal:
        return refusal
    try:
        selection = bulk.fetch_selection(user=request.user, ids=ids)
    except UPSTREAM_ERRORS as error:
        return _unavailable(request, params, error, _("The cars could not be exported"))
    response = HttpResponse("".join(bulk.export_rows(selection)),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="fleetadmin-cars-{file_stamp()}.csv"')
    return response


@write_access_required
@require_http_methods(["GET", "POST"])
@screen
def car_bulk_delete(request):
    """Confirm (the selected cars, what each still carries, their number typed), then delete.

    GET shows the confirmation, POST deletes: each car with its own DELETE and audit entry,
    in turn, never retried, then redirects to what happened to each (car_bulk_deleted).
    """
    data = request.POST if request.method == "POST" else request.GET
    params = ListParams.from_query(data)
    ids, refusal = _selection_or_redirect(request, data, params)
    if refusal:
        return refusal
    try:
        # Fetched again before deleting too: the audit log records each car's current name.
        selection = bulk.fetch_selection(user=request.user, ids=ids)
    except UPSTREAM_ERRORS as error:
        return _unavailable(request, params, error, _("The cars could not be deleted"))

    context = {"params": params, "list_url": _list_url(params), "selection": selection,
               "list_query": params.as_query()}
    status = 200
    if request.method == "POST":
        # The number the confirmation showed: the cars it listed, which it sent back.
        form = CountConfirmation(request.POST, count=len(ids))
        if form.is_valid():
            outcomes = bulk.delete_each(user=request.user, selection=selection)
            # Post/redirect/get: reloading the summary must not send the deletes again.
            token = _keep_result(request, outcomes)
            return redirect(reverse("cars:bulk-deleted") + "?" + urlencode(
                {"result": token, **params.as_query()}))
        status = 422
    if not selection.cars:
        context["form"] = None
        return render(request, TEMPLATE, context, status=404 if status == 200 else status)
    if request.method == "GET":
        form = CountConfirmation(count=len(selection.cars))
    context["form"] = form
    carried = bulk.carried_by_each(user=request.user, car_ids=[c.id for c in selection.cars])
    context["rows"] = [(car, carried[car.id]) for car in selection.cars]
    context["carrying"] = sum(1 for item in carried.values() if item.devices)
    # Why the devices could not be checked, each reason once with how many cars it hit.
    context["unchecked"] = Counter(item.problem.headline for item in carried.values()
                                   if not item.checked).most_common()
    return render(request, TEMPLATE, context, status=status)


# The session keeps the newest few summaries (a person may have two tabs), nothing more.
RESULTS_KEY = "cars_bulk_delete_results"
RESULTS_KEPT = 5


def _keep_result(request, outcomes: list[bulk.Outcome]) -> str:
    """Keep what happened in the session (as plain values); return the key to show it by."""
    token = secrets.token_urlsafe(12)
    kept = dict(request.session.get(RESULTS_KEY, {}))
    kept[token] = [
        {"car_id": o.car_id, "name": o.name, "result": o.result,
         "problem": {"headline": o.problem.headline, "detail": o.problem.detail}
         if o.problem else None}
        for o in outcomes
    ]
    request.session[RESULTS_KEY] = dict(list(kept.items())[-RESULTS_KEPT:])
    return token


@write_access_required
@require_GET
@screen
def car_bulk_deleted(request):
    """What a bulk delete did to each car (kept in the session by car_bulk_delete)."""
    params = ListParams.from_query(request.GET)
    outcomes = request.session.get(RESULTS_KEY, {}).get(request.GET.get("result", ""))
    if outcomes is None:
        messages.info(request, _("That summary is no longer available. The list shows "
                                 "which cars are there now."))
        return redirect(_list_url(params))
    context = {"outcomes": outcomes, "summary": _summary([o["result"] for o in outcomes]),
               "list_url": _list_url(params)}
    return render(request, "cars/car_bulk_result.html", context)


def _summary(results: list[str]) -> list[str]:
    """One sentence per kind of outcome that occurred, most important first."""
    counts = {}
    for result in results:
        counts[result] = counts.get(result, 0) + 1
    sentences = {
        bulk.DELETED: lambda n: ngettext("%(count)s car was deleted.",
                                         "%(count)s cars were deleted.", n),
        bulk.NOT_FOUND: lambda n: ngettext(
            "%(count)s car was not found: deleted already, or not this customer's.",
            "%(count)s cars were not found: deleted already, or not this customer's.", n),
        bulk.FAILED: lambda n: ngettext("%(count)s car could not be deleted.",
                                        "%(count)s cars could not be deleted.", n),
        bulk.UNKNOWN: lambda n: ngettext(
            "For %(count)s car flinkey did not answer in time: it may or may not be deleted. "
            "Check the list before trying again.",
            "For %(count)s cars flinkey did not answer in time: they may or may not be "
            "deleted. Check the list before trying again.", n),
        bulk.NOT_TRIED: lambda n: ngettext(
            "%(count)s car was not tried: the time for this request ran out.",
            "%(count)s cars were not tried: the time for this request ran out.", n),
    }
    return [sentences[kind](counts[kind]) % {"count": counts[kind]}
            for kind in (bulk.DELETED, bulk.NOT_FOUND, bulk.FAILED, bulk.UNKNOWN,
                         bulk.NOT_TRIED) if kind in counts]
