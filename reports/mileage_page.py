"""The mileage report page's live fallback (issue 21): batches of live calls with progress.

The page renders at once from the store; the cars of its page whose odometer the store
cannot tell at the period's start or end say "asking flinkey…", and the #mileage-live
region (`hx-trigger="load"`, as the fleet map's #fleet-next and "left open") asks for them
LIVE_BATCH cars at a time. Each answer replaces those cars' rows out of band and itself
with the progress ("12 of 40 cars asked") and the next batch's request. A car whose call
failed says so in its row, with flinkey's sentence and Retry (the row alone). Stateless:
where the next batch starts and the counts travel in the URL.
"""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.html import format_html
from django.utils.translation import gettext as _

from fleetadmin.web.htmx import wants_fragment
from fleetadmin.web.problems import UPSTREAM_ERRORS, problem_of
from reports import mileage, mileage_live, rendering

# Cars per batch: up to 2 calls each, a few rounds of the fan-out (8 at a time by default),
# so a batch answers in a few round trips and the progress moves.
LIVE_BATCH = 10
REGION = "mileage-live"
TEMPLATE = "reports/report.html"


class RowCells(list):
    """A row's (label, HTML) cells, and the id of its <tr> (htmx replaces it by that id)."""

    dom_id = ""


def row_id(car_id: int) -> str:
    return f"mileage-car-{int(car_id)}"


def _cells(table_columns, row: tuple, car_id: int, source_html=None) -> RowCells:
    table = _Columns(table_columns)
    (cells,) = rendering.cells(table, [row], None)
    if source_html is not None:
        cells[mileage.SOURCE] = (cells[mileage.SOURCE][0], source_html)
    found = RowCells(cells)
    found.dom_id = row_id(car_id)
    return found


class _Columns:
    def __init__(self, columns):
        self.columns = columns


def _items(store, form, page_number) -> tuple[list, int]:
    """The Mileage of the cars on page `page_number`, and the index of its first row."""
    pages = Paginator(mileage.mileages(store, start=form.start, end=form.end,
                                       car_ids=form.car_ids), rendering.PAGE_ROWS)
    page = pages.get_page(page_number)
    return list(page.object_list), page.start_index()


def _batch_url(query, **values) -> str:
    query = query.copy()
    for name, value in values.items():
        query[name] = value
    return "?" + query.urlencode()


def page_context(*, page, cells, query) -> dict:
    """What the page adds to its rows (mileage.MileageRow, already read, and their `cells`
    as rendering.cells made them): ids, and "asking flinkey…" where the store cannot tell;
    with such cars, the region that asks for them."""
    asking = format_html('<span class="spinner">{}</span>', _("asking flinkey…"))
    rows = []
    for row, row_cells in zip(page.object_list, cells, strict=True):
        found = RowCells(row_cells)
        found.dom_id = row_id(row[0])
        if row.missing:
            found[mileage.SOURCE] = (found[mileage.SOURCE][0], asking)
        rows.append(found)
    needed = sum(1 for row in page.object_list if row.missing)
    context = {"rows": rows, "mileage_live": bool(needed)}
    if needed:
        context.update(live_total=needed, live_asked=0,
                       live_next_url=_batch_url(query, page=page.number, live_from=0,
                                                live_total=needed))
    return context


def wants_live(request) -> bool:
    """True for the region's batch requests and a row's Retry."""
    return wants_fragment(request, REGION) or _retry_car(request) is not None


def _retry_car(request) -> int | None:
    text = request.GET.get("retry", "")
    if not (text.isascii() and text.isdigit() and len(text) <= 12):
        return None
    return int(text) if wants_fragment(request, row_id(int(text))) else None


def _number(text, default: int = 0) -> int:
    text = str(text or "")
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 9 else default


def live_answer(request, *, store, form, query) -> HttpResponse:
    """htmx: the next batch of cars asked live (their rows out of band, the progress), or a
    failed car's row asked again."""
    query = query.copy()
    for name in ("live_from", "live_total", "live_asked", "retry"):
        query.pop(name, None)
    car_id = _retry_car(request)
    if car_id is not None:
        return _retry(request, store=store, car_id=car_id, form=form, query=query)
    page_number = request.GET.get("page")
    items, _first = _items(store, form, page_number)
    start_index = _number(request.GET.get("live_from"))
    total = _number(request.GET.get("live_total"))
    asked = _number(request.GET.get("live_asked"))
    pending = [(index, item) for index, item in enumerate(items)
               if index >= start_index and item.missing]
    batch = pending[:LIVE_BATCH]
    context = {"mileage_live": True, "live_total": max(total, asked + len(batch))}
    try:
        answers, _calls = mileage_live.ask(user=request.user, items=[i for _n, i in batch],
                                           start=form.start, end=form.end)
    except UPSTREAM_ERRORS as error:
        context.update(live_problem=problem_of(error), live_asked=asked,
                       live_retry_url=request.get_full_path())
        return render(request, f"{TEMPLATE}#{REGION}", context,
                      status=context["live_problem"].status)
    rows = [_live_cells(item, answers[item.car_id], form=form, query=query,
                        page=page_number) for _n, item in batch]
    asked += len(batch)
    context.update(live_asked=asked, live_failed=sum(
        1 for _n, item in batch if answers[item.car_id].error is not None))
    if len(pending) <= len(batch):
        # The last batch: cars the store learnt meanwhile (another page) were not asked.
        context["live_total"] = asked
    else:
        context["live_next_url"] = _batch_url(
            query, page=page_number or 1, live_from=batch[-1][0] + 1,
            live_total=context["live_total"], live_asked=asked)
    html = render_to_string(f"{TEMPLATE}#{REGION}", context, request=request)
    html += "".join(render_to_string(f"{TEMPLATE}#report-row", {"row": row, "oob": True},
                                     request=request) for row in rows)
    return HttpResponse(html)


def _retry(request, *, store, car_id: int, form, query) -> HttpResponse:
    """A failed car's row, asked again (the store's row if it no longer needs flinkey)."""
    items = list(mileage.mileages(store, start=form.start, end=form.end, car_ids=[car_id]))
    if not items:
        return HttpResponse("", status=404)
    item = items[0]
    if not item.missing:
        row = _cells(mileage.COLUMNS, item.row(_("fleet store")), car_id)
    else:
        try:
            answers, _calls = mileage_live.ask(user=request.user, items=[item],
                                               start=form.start, end=form.end)
        except UPSTREAM_ERRORS as error:
            answers = {car_id: mileage_live.Answer(car_id, error=error)}
        row = _live_cells(item, answers[car_id], form=form, query=query,
                          page=request.GET.get("page"))
    return render(request, f"{TEMPLATE}#report-row", {"row": row})


def _live_cells(item, answer, *, form, query, page) -> RowCells:
    if answer.error is None:
        return _cells(mileage.COLUMNS, mileage_live.row_of(item, answer), item.car_id)
    problem = problem_of(answer.error)
    retry = _batch_url(query, page=page or 1, retry=item.car_id)
    detail = format_html(' <span class="detail">{} <q>{}</q></span>', problem.detail_label,
                         problem.detail) if problem.detail else ""
    source = format_html(
        '<span class="error" role="alert">{}{}</span> <a href="{}" hx-get="{}" '
        'hx-target="#{}" hx-swap="outerHTML">{}</a>',
        problem.headline, detail, retry, retry, row_id(item.car_id), _("Retry"))
    # The edges flinkey was to tell stay empty: the store's readings there are not the truth.
    unknown = mileage_live.row_of(item, mileage_live.Answer(item.car_id))
    return _cells(mileage.COLUMNS, unknown, item.car_id, source)
