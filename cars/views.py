"""Views of the cars screens: one function per screen, serving the page or, for htmx, a region.

Every view also works as a plain page with forms posting normally, so the app works without
JavaScript. The list's state (search, sort, page, page size, status filters) travels in the
query string of every link and form, so coming back from a car or an action lands on the
same list view.
How a screen answers (page or region, the dialog, status messages, failures) is
fleetadmin.web.htmx's and fleetadmin.web.problems' job; this module only says what each screen
shows.
"""

from dataclasses import replace
from functools import cached_property
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import HttpResponseClientRedirect, push_url

from accounts.access import write_access_required
from cars import retiring, services, stored_list, unsettled
from cars.forms import CarForm
from cars.services import ListParams
from fleetadmin.upstream.clients import SetupNeeded, client_for
from fleetadmin.web.elsewhere import car_elsewhere
from fleetadmin.web.htmx import (
    oob,
    render_dialog,
    render_form,
    render_screen,
    screen,
    updates,
    wants_fragment,
)
from fleetadmin.web.ids import parse_id
from fleetadmin.web.problems import (
    UPSTREAM_ERRORS,
    Problem,
    car_problem,
    is_missing,
    refuse_in_form,
)
from fleetstore.models import FleetSync
from flinkey import Ahead, BadRequestError, FlinkeyError, Page

COLUMNS = (
    ("name", gettext_lazy("Name")),
    ("license_plate", gettext_lazy("Licence plate")),
    ("brand", gettext_lazy("Brand")),
    ("model", gettext_lazy("Model")),
    ("vin", gettext_lazy("VIN")),
)
# The status columns (only with the fleet store), each sortable there: (field, label, the
# first and the reversed order in words, for the sort menu on phones).
STATUS_COLUMNS = (
    ("devices", gettext_lazy("Devices"), gettext_lazy("Devices, fewest first"),
     gettext_lazy("Devices, most first")),
    ("position", gettext_lazy("Position"), gettext_lazy("Position, newest first"),
     gettext_lazy("Position, oldest first")),
    ("state", gettext_lazy("Open/closed"), gettext_lazy("Open/closed, closed first"),
     gettext_lazy("Open/closed, open first")),
    ("service_end", gettext_lazy("Service end"), gettext_lazy("Service end, soonest first"),
     gettext_lazy("Service end, latest first")),
    ("odometer", gettext_lazy("Odometer"), gettext_lazy("Odometer, lowest first"),
     gettext_lazy("Odometer, highest first")),
)



# --- links --------------------------------------------------------------------------------


def _query_suffix(query: dict) -> str:
    return "?" + urlencode(query) if query else ""


def _list_url(params: ListParams, **overrides) -> str:
    return reverse("cars:list") + _query_suffix(params.as_query(**overrides))


def _origin(request) -> str:
    """Where an action was started: "detail" (a car's page) or "list"."""
    return "detail" if request.GET.get("from") == "detail" else "list"


def _back_url(params: ListParams, origin: str, car_id: int | None) -> str:
    if origin == "detail" and car_id is not None:
        return reverse("cars:detail", args=[car_id]) + _query_suffix(params.as_query())
    return _list_url(params)


def _action_suffix(params: ListParams, origin: str) -> str:
    return _query_suffix({**params.as_query(), **({"from": origin} if origin == "detail"
                                                  else {})})


def _link_context(params: ListParams) -> dict:
    """The query strings that carry the list's state to a car and its actions, and back."""
    query = params.as_query()
    return {
        "params": params,
        "list_url": _list_url(params),
        "list_suffix": _query_suffix(query),
        "detail_suffix": _query_suffix({**query, "from": "detail"}),
    }


# --- list ---------------------------------------------------------------------------------


class Listing:
    """One page of the list as the table shows it; its upstream call may still be under way.

    Made by `Listing.start`, which sends the call at once: the page renders its header,
    menu and search form while the call is on the network, and the table's first look at
    `page` or `problem` waits for the answer (benchmarks/round_trips.py measures the page
    against the bare call). Everything that needs the database happens before, on the
    request's thread; only the HTTP call runs on another.

    Where the user may read a synced fleet store, the store answers instead
    (cars.stored_list): the page, each car's status and the total, and no call at all.
    Status filters without such a store ask nothing either (`store_off`).
    """

    def __init__(self, params: ListParams, call: Ahead | None, *, created=None,
                 problem: Problem | None = None, stored: stored_list.StoredPage | None = None,
                 store: FleetSync | None = None, now=None) -> None:
        self.params = params
        self.created = created
        self._call = call
        self._problem = problem
        self._stored = stored
        self.store = store  # the fleet store that answered, or None (asked live)
        self.now = now or timezone.now()  # what position ages and service ends count from

    @classmethod
    def start(cls, request, params: ListParams, *, created=None) -> "Listing":
        store = stored_list.readable_store(request.user)
        if store is None and params.status_sort:
            # Only the store sorts by status: flinkey's list is in its default order.
            params = replace(params, sort=services.DEFAULT_SORT)
        if store is not None:
            # The store answers the page, its status and its total: no flinkey call.
            now = timezone.now()
            return cls(params, None, created=created, store=store, now=now,
                       stored=stored_list.page_of_cars(store, params, now=now))
        if params.filtered:
            # flinkey's list cannot filter by status: asking it would show cars the filter
            # excludes. The table says that the store is off instead (`store_off`).
            return cls(params, None, created=created)
        try:
            client = client_for(request.user)
        except SetupNeeded as error:
            return cls(params, None, created=created, problem=car_problem(error))
        return cls(params, Ahead(services.page_of_cars, client=client, params=params),
                   created=created)

    @property
    def store_off(self) -> bool:
        """True when status filters were asked for but no synced store can answer them."""
        return self.store is None and self.params.filtered

    @property
    def statuses(self) -> dict[int, stored_list.CarStatus] | None:
        """Each car's status by car id from the store; None when the list was asked live."""
        return self._stored.statuses if self._stored is not None else None

    @property
    def total(self) -> int | None:
        """How many cars the search and filters select (known from the store only)."""
        return self._stored.total if self._stored is not None else None

    @property
    def range_text(self) -> str:
        """"1–25 of 1,062" (German "1–25 von 1.062"): the page's cars and the total."""
        return _("%(first)s–%(last)s of %(total)s") % {
            "first": number_format(self.first, force_grouping=True),
            "last": number_format(self.last, force_grouping=True),
            "total": number_format(self.total, force_grouping=True)}

    @cached_property
    def _answer(self) -> tuple[Page | None, Problem | None]:
        if self._stored is not None:
            return self._stored.page, None
        if self._call is None:
            return None, self._problem
        try:
            return self._call.result(), None
        except FlinkeyError as error:
            return None, car_problem(error)

    @property
    def page(self) -> Page | None:
        return self._answer[0]

    @property
    def problem(self) -> Problem | None:
        return self._answer[1]

    @property
    def status(self) -> int:
        return self.problem.status if self.problem else 200

    @cached_property
    def pinned(self):
        """A just-created car: shown at the top even when the sort puts it on another page."""
        page = self.page
        if page is None or not self.created or self.created.id in {c.id for c in page.items}:
            return None
        return self.created

    @property
    def first(self) -> int:
        return (self.page.page - 1) * self.page.page_size + 1

    @property
    def last(self) -> int:
        return self.first + len(self.page.items) - 1

    @property
    def prev_url(self) -> str | None:
        page = self.page
        return _list_url(self.params, page=page.page - 1) if page and page.has_previous else None

    @property
    def next_url(self) -> str | None:
        page = self.page
        return _list_url(self.params, page=page.page + 1) if page and page.has_next else None


def _list_context(request, params: ListParams, *, created=None) -> dict:
    """The list's context; its `listing` is on its way (`listing.status` waits for it)."""
    listing = Listing.start(request, params, created=created)  # first: the call leaves now
    params = listing.params  # a status sort without the store: the default one
    with_store = listing.store is not None
    return {
        **_link_context(params),
        "listing": listing,
        "created": created,
        "page_sizes": services.PAGE_SIZES,
        "sort_choices": _sort_choices(with_store=with_store),
        "retry_url": _list_url(params),
        "first_page_url": _list_url(params, page=1),
        "clear_url": _list_url(params, search="", page=1),
        "clear_filters_url": _list_url(params, page=1, **NO_FILTERS),
        "columns": _columns(params),
        "status_columns": _columns(params, STATUS_COLUMNS) if with_store else [],
        "unsettled": unsettled.create_note(request),
        # For the rows (cars/templatetags/car_rows.py): the status cells, from the store.
        "statuses": listing.statuses,
        "status_now": listing.now,
        "service_filters": _service_filters(),
    }


# The filters all off (ListParams' defaults), for "clear the filters".
NO_FILTERS = {"service": "", "state": "", "silent": False, "iq": ""}


def _service_filters() -> list[tuple[str, str]]:
    """The service filter's choices: (value, label) pairs, "" for any."""
    return [("", _("Any service end")), ("ended", _("Service ended")),
            ("ending", _("Service ends within 30 days"))]


def _columns(params: ListParams, columns=COLUMNS) -> list[dict]:
    """The sortable column headers: a link each to the list sorted by it (reversed when it
    is the sort already), with aria-sort on the sorted one."""
    headers = []
    for field, label, *_words in columns:
        active = params.sort_field == field
        next_sort = field if not active or params.descending else f"-{field}"
        headers.append({
            "field": field,
            "label": label,
            "url": _list_url(params, sort=next_sort, page=1),
            "active": active,
            "aria_sort": ("descending" if params.descending else "ascending") if active else None,
            "numeric": field == "odometer",
        })
    return headers


def _sort_choices(*, with_store: bool = False) -> list[tuple[str, str]]:
    """The sort menu shown where the column headers are not (phones): (value, label) pairs."""
    choices = []
    for field, label in COLUMNS:
        choices.append((field, _("%(column)s, A to Z") % {"column": label}))
        choices.append((f"-{field}", _("%(column)s, Z to A") % {"column": label}))
    if with_store:
        for field, _label, first, reversed_ in STATUS_COLUMNS:
            choices += [(field, str(first)), (f"-{field}", str(reversed_))]
    return choices


@login_required
@require_GET
@screen
def car_list(request):
    """The customer's cars: search, sort, pages; the #car-table region for htmx."""
    params = ListParams.from_query(request.GET)
    context = _list_context(request, params)
    response = render_screen(request, "cars/car_list.html", context, regions=["car-table"])
    response.status_code = context["listing"].status  # known once the table is rendered
    if wants_fragment(request, "car-table"):
        # The address bar shows the canonical URL (defaults left out, bad values corrected),
        # not whatever the search form happened to send.
        push_url(response, _list_url(params))
    return response


def _table_update(request, params: ListParams, *, created=None) -> str:
    """The list's table fetched again (one call), to be swapped out of band."""
    context = _list_context(request, params, created=created)
    return oob(request, "cars/car_list.html#car-table", context)


# --- forms (create, edit) -----------------------------------------------------------------


def _form_response(request, context: dict, status: int = 200):
    """The car form: in the dialog for htmx, else on its own page."""
    return render_form(request, "cars/car_form.html", region="car-form",
                       title=context["title"], context=context, status=status)


def _refused(form: CarForm, error: Exception, context: dict) -> int:
    """Put an upstream refusal next to the field it concerns (or on top); return the status."""
    problem = car_problem(error)
    context["problem"] = problem
    field = error.field if isinstance(error, BadRequestError) else None
    return refuse_in_form(form, problem, field if field in form.fields else None)


def _note_warnings(request, form: CarForm) -> None:
    for warning in form.warnings.get("vin", []):
        messages.warning(request, str(warning))


@write_access_required
@require_http_methods(["GET", "POST"])
@screen
def car_create(request):
    """Create a car: a form in the list's dialog (htmx) or on its own page."""
    params = ListParams.from_query(request.GET)
    context = {
        **_link_context(params),
        "title": _("New car"),
        "action": reverse("cars:create") + _query_suffix(params.as_query()),
        "submit_label": _("Create car"),
        "cancel_url": _list_url(params),
    }
    status = 200
    if request.method == "POST":
        form = CarForm(request.POST, duplicates=_duplicate_finder(request))
        status = 422
        if form.is_valid():
            name = form.cleaned_data["name"]  # (a refusal below takes it out of the form)
            try:
                car = services.create_car(user=request.user, values=form.values())
            except UPSTREAM_ERRORS as error:
                # Never retried: a timed-out create may exist; the message says to check,
                # and the list and this form keep saying it (cars.unsettled).
                status = _refused(form, error, context)
                unsettled.remember_create(request, name=name, problem=context["problem"])
            else:
                unsettled.forget_create(request)
                messages.success(request, _("The car “%(name)s” was created.") % {
                    "name": car.name})
                _note_warnings(request, form)
                if not request.htmx:
                    return redirect(reverse("cars:detail", args=[car.id])
                                    + _query_suffix(params.as_query()))
                # The list is fetched again so the new car shows where it belongs, or on top.
                return updates(request, _table_update(request, params, created=car))
    else:
        form = CarForm()
        context["unsettled"] = unsettled.create_note(request)
    context["form"] = form
    return _form_response(request, context, status)


def _duplicate_finder(request, car_id: int | None = None):
    """Return the form's look-up of other cars of the customer with a VIN (never fails)."""
    def cars_with_vin(vin: str) -> list:
        try:
            return services.other_cars_with_vin(user=request.user, vin=vin, car_id=car_id)
        except UPSTREAM_ERRORS:
            # Only a warning: when it cannot be checked, saving must still work.
            return []
    return cars_with_vin


@login_required
@require_GET
def vin_check(request):
    """The VIN field's warnings while typing: its shape, and other cars with that VIN."""
    car_id = parse_id(request.GET.get("car"))
    form = CarForm({"name": "-", "vin": request.GET.get("vin", "")[:100]},
                   duplicates=_duplicate_finder(request, car_id), car_id=car_id)
    form.is_valid()
    return render(request, "cars/car_form.html#vin-warnings", {"field": form["vin"]})


@write_access_required
@require_http_methods(["GET", "POST"])
@screen
def car_edit(request, car_id: int):
    """Edit a car in the dialog (htmx) or on its own page; only changed fields are sent."""
    params = ListParams.from_query(request.GET)
    origin = _origin(request)
    context = {
        **_link_context(params),
        "title": _("Edit car"),
        "action": reverse("cars:edit", args=[car_id]) + _action_suffix(params, origin),
        "submit_label": _("Save changes"),
        "cancel_url": _back_url(params, origin, car_id),
        "car_id": car_id,
    }
    if request.method == "GET":
        try:
            car = services.get_car(user=request.user, car_id=car_id)
        except UPSTREAM_ERRORS as error:
            return _action_unavailable(request, context, error)
        context.update(form=CarForm(initial=services.car_values(car), editing=True,
                                    car_id=car_id), car=car,
                       unsettled=unsettled.note(request, car_id=car_id))
        return _form_response(request, context)

    form = CarForm(request.POST, editing=True, car_id=car_id,
                   duplicates=_duplicate_finder(request, car_id))
    context["form"] = form
    if not form.is_valid():
        return _form_response(request, context, 422)
    try:
        result = services.update_car(
            user=request.user, car_id=car_id, values=form.values(), seen=form.seen(),
            changed=[name for name in form.changed_data if name in services.EDITABLE_FIELDS],
        )
    except UPSTREAM_ERRORS as error:
        status = _refused(form, error, context)
        unsettled.remember(request, car_id=car_id, problem=context["problem"])
        return _form_response(request, context, status)
    if result.changes:
        unsettled.forget(request, car_id=car_id)
    if not result.saved:
        context["form"] = _conflict_form(form, result)
        return _form_response(request, context, 409)

    car = result.car
    if result.changes:
        messages.success(request, _("The car “%(name)s” was saved.") % {"name": car.name})
    else:
        messages.info(request, _("Nothing was changed, so nothing was sent to flinkey."))
    _note_warnings(request, form)
    if not request.htmx:
        return redirect(_back_url(params, origin, car_id))
    if origin == "detail":
        region = oob(request, "cars/car_detail.html#car-details",
                     {**_link_context(params), "car": car})
    else:
        # The row keeps its status cells when the store answers the list.
        store = stored_list.readable_store(request.user)
        statuses = stored_list.statuses_of(store, [car.id]) if store is not None else None
        region = oob(request, "cars/car_list.html#car-row-oob",
                     {**_link_context(params), "car": car, "statuses": statuses,
                      "status_now": timezone.now()})
    return updates(request, region)


def _conflict_form(form: CarForm, result: services.UpdateResult) -> CarForm:
    """The form again, now based on flinkey's current values, naming what someone else changed.

    Fields this person did not change take the current values (so saving again cannot undo
    someone else's edit); fields they did change keep their input. Saving again applies it.
    """
    current = services.car_values(result.car)
    data = form.data.copy()
    for name in services.EDITABLE_FIELDS:
        data[form[name].html_initial_name] = current[name]
        if name not in form.changed_data:
            data[name] = current[name]
    again = CarForm(data, editing=True, car_id=form.car_id)
    again.is_valid()
    for name, value in result.conflicts.items():
        if value:
            message = _("Someone else changed this to “%(value)s” meanwhile. Save again to "
                        "replace it with your value.") % {"value": value}
        else:
            message = _("Someone else emptied this field meanwhile. Save again to replace it "
                        "with your value.")
        again.add_error(name, message)
    return again


def _action_unavailable(request, context: dict, error: Exception):
    """The dialog (or page) saying why an edit/delete cannot start: gone, or flinkey failed."""
    problem = car_problem(error)
    context["problem"] = problem
    if problem.missing and (offer := car_elsewhere(request, context["car_id"])):
        return offer  # another customer's car: the switch is offered instead
    title = _("Car not found") if problem.missing else _("Not available right now")
    if wants_fragment(request, "dialog"):
        extra = ""
        if problem.missing and _origin(request) == "list":
            # The list still shows the car: fetch it again so rows and counters are true.
            extra = _table_update(request, ListParams.from_query(request.GET))
        return render_dialog(request, body="cars/car_unavailable.html#car-unavailable",
                             title=title, context=context, status=problem.status, extra=extra)
    context["title"] = title
    return render(request, "cars/car_unavailable.html", context, status=problem.status)


# --- detail and products ------------------------------------------------------------------


@login_required
@require_GET
@screen
def car_detail(request, car_id: int):
    """One car's fields; its devices load lazily into #car-products."""
    return _detail_page(request, car_id, with_devices=False)


@login_required
@require_GET
@screen
def car_products(request, car_id: int):
    """The car's devices: the #car-products region, or (without JS) the car's page with them."""
    if not wants_fragment(request, "car-products"):
        return _detail_page(request, car_id, with_devices=True)
    context, status = _devices_context(request, car_id)
    return render(request, "cars/car_detail.html#car-products", context, status=status)


def _devices_context(request, car_id: int) -> tuple[dict, int]:
    context = {"car_id": car_id, "devices_loaded": True, "devices": [], "devices_problem": None}
    try:
        context["devices"] = services.devices_of_car(user=request.user, car_id=car_id)
    except UPSTREAM_ERRORS as error:
        problem = car_problem(error)
        context["devices_problem"] = problem
        return context, problem.status
    return context, 200


def _detail_page(request, car_id: int, *, with_devices: bool):
    params = ListParams.from_query(request.GET)
    context = {**_link_context(params), "car": None, "car_id": car_id, "problem": None,
               "devices_loaded": False}
    status = 200
    try:
        context["car"] = services.get_car(user=request.user, car_id=car_id)
    except UPSTREAM_ERRORS as error:
        context["problem"] = car_problem(error)
        status = context["problem"].status
        if context["problem"].missing and (offer := car_elsewhere(request, car_id)):
            return offer
    else:
        context["unsettled"] = unsettled.note(request, car_id=car_id)
    if context["car"] is not None and with_devices:
        devices, _status = _devices_context(request, car_id)
        context.update(devices)
    return render(request, "cars/car_detail.html", context, status=status)


# --- delete -------------------------------------------------------------------------------


@write_access_required
@require_http_methods(["GET", "POST"])
@screen
def car_delete(request, car_id: int):
    """Ask (dialog or page) naming the car, then delete it; a 404 means it is not there."""
    params = ListParams.from_query(request.GET)
    origin = _origin(request)
    context = {
        **_link_context(params),
        "action": reverse("cars:delete", args=[car_id]) + _action_suffix(params, origin),
        "cancel_url": _back_url(params, origin, car_id),
        "car_id": car_id,
    }
    try:
        # Fetched on the confirmation and again before deleting: the person sees the car's
        # current name, and the audit log records which car it was.
        car = services.get_car(user=request.user, car_id=car_id)
    except UPSTREAM_ERRORS as error:
        if request.method == "POST" and is_missing(error):
            return _deleted(request, params, car_id, name=None, already=True)
        return _action_unavailable(request, context, error)
    context["car"] = car

    status = 200
    form = retiring.NameConfirmation(request.POST if request.method == "POST" else None,
                                     expected=car.name or "")
    context["form"] = form
    if request.method == "POST" and not form.is_valid():
        # Checked here, not only by the page's script: nothing is deleted without the name.
        status = 422
    elif request.method == "POST":
        try:
            services.delete_car(user=request.user, car=car)
        except UPSTREAM_ERRORS as error:
            if is_missing(error):
                return _deleted(request, params, car_id, name=car.name, already=True)
            context["problem"] = car_problem(error)
            status = context["problem"].status
            unsettled.remember(request, car_id=car_id, problem=context["problem"])
        else:
            return _deleted(request, params, car_id, name=car.name, already=False)

    # Asked (again) whenever the question is: one products call, naming the Box/IQ the car
    # still carries.
    context["carried"] = retiring.carried_by(user=request.user, car_id=car_id)
    title = _("Delete the car “%(name)s”?") % {"name": car.name}
    return render_form(request, "cars/car_confirm_delete.html", region="car-delete-form",
                       title=title, context=context, status=status, alert=True,
                       described_by="car-delete-what")


def _deleted(request, params: ListParams, car_id: int, *, name: str | None, already: bool):
    if already:
        # Deleted by someone else a moment ago, or never this customer's: flinkey cannot
        # tell the two apart, so neither can we.
        if name:
            text = _("The car “%(name)s” is no longer there: someone else deleted it.") % {
                "name": name}
        else:
            text = _("This car was not found for your customer: it was deleted already, or "
                     "never belonged to this customer.")
        messages.info(request, text)
    else:
        messages.success(request, _("The car “%(name)s” was deleted.") % {"name": name})
    list_url = _list_url(params)
    if not request.htmx or _origin(request) == "detail":
        # Its page is gone: back to the list, with the list's search and page.
        return HttpResponseClientRedirect(list_url) if request.htmx else redirect(list_url)
    # The table is fetched again, so counters and pages stay true (one call).
    return updates(request, _table_update(request, params))

