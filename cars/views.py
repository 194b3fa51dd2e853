"""Views of the cars screens: one function per screen, serving the page or, for htmx, a fragment.

Every view also works as a plain page with forms posting normally, so the app works without
JavaScript. The list's state (search, sort, page, page size) travels in the query string of
every link and form, so coming back from a car or an action lands on the same list view.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, push_url

from accounts.access import write_access_required
from cars import services
from cars.forms import CarForm
from cars.services import ListParams
from fleetadmin.errors import is_manager_missing, user_message
from fleetadmin.flinkey import CredentialsMissing, CustomerNotChosen
from flinkey import (
    BadRequestError,
    FlinkeyError,
    NotFoundError,
    UnavailableError,
    UpstreamTimeout,
)

SETUP_ERRORS = (CredentialsMissing, CustomerNotChosen)
# The same URL answers a page or a fragment depending on these: caches (the browser's own,
# used by the back button) must keep them apart, or "back" shows a bare fragment.
FRAGMENT_HEADERS = ("HX-Request", "HX-Target")

COLUMNS = (
    ("name", gettext_lazy("Name")),
    ("license_plate", gettext_lazy("Licence plate")),
    ("brand", gettext_lazy("Brand")),
    ("model", gettext_lazy("Model")),
    ("vin", gettext_lazy("VIN")),
)


# --- helpers ------------------------------------------------------------------------------


def _status_of(error: Exception) -> int:
    """The HTTP status our answer gets when flinkey failed (htmx swaps 4xx/5xx in place)."""
    if isinstance(error, NotFoundError):
        return 404
    if isinstance(error, BadRequestError):
        return 422
    if isinstance(error, UpstreamTimeout):
        return 504
    if isinstance(error, UnavailableError):
        return 503
    return 502


def _car_missing(error: Exception) -> bool:
    """True for a 404 about the car itself (not "Unable to find a manager…", a set-up fault)."""
    return isinstance(error, NotFoundError) and not is_manager_missing(error)


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


def _link_context(params: ListParams) -> dict:
    """The query strings that carry the list's state to a car and its actions, and back."""
    query = params.as_query()
    return {
        "params": params,
        "list_url": _list_url(params),
        "list_suffix": _query_suffix(query),
        "detail_suffix": _query_suffix({**query, "from": "detail"}),
    }


def _wants_fragment(request, target: str) -> bool:
    """True for an htmx request aimed at the element `target` (not a history restore)."""
    return bool(
        request.htmx and not request.htmx.history_restore_request and request.htmx.target == target
    )


def _notes_html(request, *notes: tuple[str, str]) -> str:
    """The status region's new content, swapped out of band: (level, text) pairs."""
    return render_to_string(
        "cars/status.html#car-status",
        {"oob": True, "notes": [{"level": level, "text": text} for level, text in notes]},
        request=request,
    )


def _closed_dialog_html(request) -> str:
    return render_to_string("cars/dialog.html#car-dialog", {}, request=request)


# --- list ---------------------------------------------------------------------------------


def _list_context(request, params: ListParams, *, created=None) -> tuple[dict, int]:
    context = {
        **_link_context(params),
        "page": None,
        "error": None,
        "setup_needed": False,
        "created": created,
        "page_sizes": services.PAGE_SIZES,
    }
    status = 200
    try:
        page = services.page_of_cars(user=request.user, params=params)
    except SETUP_ERRORS as error:
        context.update(error=user_message(error), setup_needed=True)
        return context, status
    except FlinkeyError as error:
        context["error"] = user_message(error)
        context["retry_url"] = _list_url(params)
        return context, _status_of(error)
    first = (page.page - 1) * page.page_size + 1
    context.update(
        page=page,
        first=first,
        last=first + len(page.items) - 1,
        prev_url=_list_url(params, page=page.page - 1) if page.has_previous else None,
        next_url=_list_url(params, page=page.page + 1) if page.has_next else None,
        first_page_url=_list_url(params, page=1),
        clear_url=_list_url(params, search="", page=1),
        columns=_columns(params),
        # A just-created car shows at the top even when the sort puts it on another page.
        pinned=created if created and created.id not in {car.id for car in page.items} else None,
    )
    return context, status


def _columns(params: ListParams) -> list[dict]:
    columns = []
    for field, label in COLUMNS:
        active = params.sort_field == field
        next_sort = field if not active or params.descending else f"-{field}"
        columns.append({
            "field": field,
            "label": label,
            "url": _list_url(params, sort=next_sort, page=1),
            "active": active,
            "aria_sort": ("descending" if params.descending else "ascending") if active else None,
        })
    return columns


@login_required
@require_GET
@vary_on_headers(*FRAGMENT_HEADERS)
def car_list(request):
    """The customer's cars: search, sort, pages; the #car-table fragment for htmx."""
    params = ListParams.from_query(request.GET)
    context, status = _list_context(request, params)
    if not _wants_fragment(request, "car-table"):
        return render(request, "cars/car_list.html", context, status=status)
    response = render(request, "cars/car_list.html#car-table", context, status=status)
    # The address bar shows the canonical URL (defaults left out, bad values corrected),
    # not whatever the search form happened to send.
    return push_url(response, _list_url(params))


# --- create -------------------------------------------------------------------------------


def _apply_write_error(form: CarForm, error: Exception, context: dict) -> int:
    """Put an upstream refusal next to the field it concerns (or on top); return the status."""
    if isinstance(error, SETUP_ERRORS):
        form.add_error(None, user_message(error))
        context["setup_needed"] = True
        return 409
    message = user_message(error)
    if isinstance(error, BadRequestError) and "name" in error.message.lower():
        form.add_error("name", message)
    else:
        form.add_error(None, message)
    return _status_of(error)


def _form_response(request, context: dict, status: int = 200):
    template = "cars/car_form.html"
    if _wants_fragment(request, "car-dialog"):
        template += "#car-dialog"
    return render(request, template, context, status=status)


@write_access_required
@require_http_methods(["GET", "POST"])
@vary_on_headers(*FRAGMENT_HEADERS)
def car_create(request):
    """Create a car: a form in the list's dialog (htmx) or on its own page."""
    params = ListParams.from_query(request.GET)
    context = {
        **_link_context(params),
        "title": _("New car"),
        "action": reverse("cars:create") + _query_suffix(params.as_query()),
        "submit_label": _("Create car"),
        "cancel_url": _list_url(params),
        "setup_needed": False,
    }
    status = 200
    if request.method == "POST":
        form = CarForm(request.POST)
        status = 422
        if form.is_valid():
            try:
                car = services.create_car(user=request.user, values=form.values())
            except (*SETUP_ERRORS, FlinkeyError) as error:
                # Never retried: a timed-out create may exist; the message says to check.
                status = _apply_write_error(form, error, context)
            else:
                return _created(request, car, form, params)
    else:
        form = CarForm()
    context["form"] = form
    return _form_response(request, context, status)


def _created(request, car, form: CarForm, params: ListParams):
    notes = [("ok", _("The car “%(name)s” was created.") % {"name": car.name})]
    notes += [("warning", str(warning)) for warning in form.warnings.get("vin", [])]
    if not request.htmx:
        for level, text in notes:
            messages.add_message(request, messages.WARNING if level == "warning"
                                 else messages.SUCCESS, text)
        return redirect(reverse("cars:detail", args=[car.id]) + _query_suffix(params.as_query()))
    # The list is fetched again (one call) so the new car shows where it belongs, or on top.
    context, _status = _list_context(request, params, created=car)
    table = render_to_string("cars/car_list.html#car-table", {**context, "oob": True},
                             request=request)
    return HttpResponse(_closed_dialog_html(request) + table + _notes_html(request, *notes))


# --- detail and products ------------------------------------------------------------------


@login_required
@require_GET
@vary_on_headers(*FRAGMENT_HEADERS)
def car_detail(request, car_id: int):
    """One car's fields; its devices load lazily into #car-products."""
    return _detail_page(request, car_id, with_devices=False)


@login_required
@require_GET
@vary_on_headers(*FRAGMENT_HEADERS)
def car_products(request, car_id: int):
    """The car's devices: the #car-products fragment, or (without JS) the car's page with them."""
    if not _wants_fragment(request, "car-products"):
        return _detail_page(request, car_id, with_devices=True)
    context, status = _devices_context(request, car_id)
    return render(request, "cars/car_detail.html#car-products", context, status=status)


def _devices_context(request, car_id: int) -> tuple[dict, int]:
    context = {"car_id": car_id, "devices_loaded": True, "devices": [], "devices_error": None}
    try:
        context["devices"] = services.devices_of_car(user=request.user, car_id=car_id)
    except SETUP_ERRORS as error:
        context["devices_error"] = user_message(error)
        return context, 200
    except FlinkeyError as error:
        context["devices_error"] = user_message(error)
        return context, _status_of(error)
    return context, 200


def _detail_page(request, car_id: int, *, with_devices: bool):
    params = ListParams.from_query(request.GET)
    context = {**_link_context(params), "car": None, "car_id": car_id, "error": None,
               "setup_needed": False, "devices_loaded": False}
    status = 200
    try:
        context["car"] = services.get_car(user=request.user, car_id=car_id)
    except SETUP_ERRORS as error:
        context.update(error=user_message(error), setup_needed=True)
    except NotFoundError as error:
        context.update(error=user_message(error), missing=_car_missing(error))
        status = 404
    except FlinkeyError as error:
        context["error"] = user_message(error)
        status = _status_of(error)
    if context["car"] is not None and with_devices:
        devices, _status = _devices_context(request, car_id)
        context.update(devices)
    return render(request, "cars/car_detail.html", context, status=status)


# --- edit ---------------------------------------------------------------------------------


@write_access_required
@require_http_methods(["GET", "POST"])
@vary_on_headers(*FRAGMENT_HEADERS)
def car_edit(request, car_id: int):
    """Edit a car in the dialog (htmx) or on its own page; only changed fields are sent."""
    params = ListParams.from_query(request.GET)
    origin = _origin(request)
    suffix = _query_suffix({**params.as_query(), **({"from": origin} if origin == "detail"
                                                     else {})})
    context = {
        **_link_context(params),
        "title": _("Edit car"),
        "action": reverse("cars:edit", args=[car_id]) + suffix,
        "submit_label": _("Save changes"),
        "cancel_url": _back_url(params, origin, car_id),
        "setup_needed": False,
        "car_id": car_id,
    }
    if request.method == "GET":
        try:
            car = services.get_car(user=request.user, car_id=car_id)
        except (*SETUP_ERRORS, FlinkeyError) as error:
            return _action_unavailable(request, context, error)
        context.update(form=CarForm(initial=services.car_values(car), editing=True), car=car)
        return _form_response(request, context)

    form = CarForm(request.POST, editing=True)
    context["form"] = form
    if not form.is_valid():
        return _form_response(request, context, 422)
    try:
        result = services.update_car(
            user=request.user, car_id=car_id, values=form.values(), seen=form.seen(),
            changed=[name for name in form.changed_data if name in services.EDITABLE_FIELDS],
        )
    except (*SETUP_ERRORS, FlinkeyError) as error:
        status = _apply_write_error(form, error, context)
        return _form_response(request, context, status)
    if not result.saved:
        context["form"] = _conflict_form(form, result)
        return _form_response(request, context, 409)

    car = result.car
    if result.changes:
        notes = [("ok", _("The car “%(name)s” was saved.") % {"name": car.name})]
    else:
        notes = [("info", _("Nothing was changed, so nothing was sent to flinkey."))]
    notes += [("warning", str(warning)) for warning in form.warnings.get("vin", [])]
    if not request.htmx:
        for level, text in notes:
            messages.add_message(request, _message_level(level), text)
        return redirect(_back_url(params, origin, car_id))
    if origin == "detail":
        region = render_to_string("cars/car_detail.html#car-details",
                                  {**_link_context(params), "car": car, "oob": True},
                                  request=request)
    else:
        region = render_to_string("cars/car_list.html#car-row-oob",
                                  {**_link_context(params), "car": car}, request=request)
    return HttpResponse(_closed_dialog_html(request) + region + _notes_html(request, *notes))


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
    again = CarForm(data, editing=True)
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


def _message_level(level: str) -> int:
    return {"ok": messages.SUCCESS, "warning": messages.WARNING}.get(level, messages.INFO)


def _action_unavailable(request, context: dict, error: Exception):
    """The dialog (or page) saying why an edit/delete cannot start: gone, or flinkey failed."""
    missing = _car_missing(error)
    context.update(
        error=user_message(error),
        setup_needed=isinstance(error, SETUP_ERRORS),
        missing=missing,
    )
    status = 200 if isinstance(error, SETUP_ERRORS) else _status_of(error)
    if _wants_fragment(request, "car-dialog"):
        html = render_to_string("cars/car_unavailable.html#car-dialog", context, request=request)
        if missing and _origin(request) == "list":
            html += _row_removed_html(request, context["car_id"])
        return HttpResponse(html, status=status)
    return render(request, "cars/car_unavailable.html", context, status=status)


def _row_removed_html(request, car_id: int) -> str:
    return render_to_string("cars/car_list.html#car-row-removed", {"car_id": car_id},
                            request=request)


# --- delete -------------------------------------------------------------------------------


@write_access_required
@require_http_methods(["GET", "POST"])
@vary_on_headers(*FRAGMENT_HEADERS)
def car_delete(request, car_id: int):
    """Ask (dialog or page) naming the car, then delete it; a 404 means someone was faster."""
    params = ListParams.from_query(request.GET)
    origin = _origin(request)
    suffix = _query_suffix({**params.as_query(), **({"from": origin} if origin == "detail"
                                                     else {})})
    context = {
        **_link_context(params),
        "action": reverse("cars:delete", args=[car_id]) + suffix,
        "cancel_url": _back_url(params, origin, car_id),
        "car_id": car_id,
        "setup_needed": False,
    }
    try:
        # Fetched on the confirmation and again before deleting: the person sees the car's
        # current name, and the audit log records which car it was.
        car = services.get_car(user=request.user, car_id=car_id)
    except (*SETUP_ERRORS, FlinkeyError) as error:
        if request.method == "POST" and _car_missing(error):
            return _deleted(request, params, car_id, name=None, already=True)
        return _action_unavailable(request, context, error)
    context["car"] = car

    status = 200
    if request.method == "POST":
        try:
            services.delete_car(user=request.user, car=car)
        except (*SETUP_ERRORS, FlinkeyError) as error:
            if _car_missing(error):
                return _deleted(request, params, car_id, name=car.name, already=True)
            context["error"] = user_message(error)
            context["setup_needed"] = isinstance(error, SETUP_ERRORS)
            status = 409 if isinstance(error, SETUP_ERRORS) else _status_of(error)
        else:
            return _deleted(request, params, car_id, name=car.name, already=False)

    template = "cars/car_confirm_delete.html"
    if _wants_fragment(request, "car-dialog"):
        template += "#car-dialog"
    return render(request, template, context, status=status)


def _deleted(request, params: ListParams, car_id: int, *, name: str | None, already: bool):
    if already:
        level = "info"
        if name:
            text = _("The car “%(name)s” had already been deleted by someone else.") % {
                "name": name}
        else:
            text = _("This car had already been deleted by someone else.")
    else:
        level = "ok"
        text = _("The car “%(name)s” was deleted.") % {"name": name}
    list_url = _list_url(params)
    if not request.htmx or _origin(request) == "detail":
        # Its page is gone: back to the list, with the list's search and page.
        messages.add_message(request, _message_level(level), text)
        return HttpResponseClientRedirect(list_url) if request.htmx else redirect(list_url)
    html = _closed_dialog_html(request) + _row_removed_html(request, car_id)
    return HttpResponse(html + _notes_html(request, (level, text)))
