"""The People page: the fleet's directory of flinkey user ids; admins add, edit, delete, import.

Everything here is of the fleet the user's own credentials reach now
(`fleetadmin.upstream.reach.proven_fleet`): another fleet's entries are never listed, found or
changed.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from accounts.access import can_manage_users, forbidden
from fleetadmin.upstream.clients import SetupNeeded
from fleetadmin.upstream.reach import proven_fleet
from fleetadmin.web.problems import problem_of
from flinkey import FlinkeyError
from people import csv_import
from people.changes import ChangedMeanwhile, delete_person, import_plan, save_person
from people.directory import directory_of
from people.forms import ImportForm, PersonForm
from people.models import Person


def can_manage_people(user) -> bool:
    """True when `user` may change the people directory (the administrators)."""
    return can_manage_users(user)


def manage_people_required(view):
    """Decorator for the views that change the directory."""

    @wraps(view)
    @login_required
    def guarded(request, *args, **kwargs):
        if not can_manage_people(request.user):
            return forbidden(request, _("Only administrators change the people directory."))
        return view(request, *args, **kwargs)

    guarded.requires_manage_users = True
    return guarded


def with_fleet(view):
    """Give the view the user's proven fleet, or answer with why there is none."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            fleet = proven_fleet(request.user)
        except (SetupNeeded, FlinkeyError) as error:
            problem = problem_of(error)
            return render(request, "people/problem.html", {"problem": problem},
                          status=problem.status)
        return view(request, fleet, *args, **kwargs)

    return wrapped


def _person_of(fleet, user_id: int) -> Person:
    try:
        return Person.objects.of_fleet(fleet).get(flinkey_user_id=user_id)
    except Person.DoesNotExist:
        raise Http404(_("Nobody with this flinkey user id is in your fleet's people.")) from None


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return target
    return reverse("people:list")


@login_required
@require_GET
@with_fleet
def people_list(request, fleet):
    """The fleet's people by name; admins see the controls to change them."""
    directory = directory_of(fleet)
    return render(request, "people/people.html", {
        "people": directory.by_name(), "can_manage_people": can_manage_people(request.user)})


def _form_page(request, form, *, title: str, status: int = 200):
    return render(request, "people/person_form.html",
                  {"form": form, "title": title, "next": _next_url(request)}, status=status)


@manage_people_required
@require_http_methods(["GET", "POST"])
@with_fleet
def person_create(request, fleet):
    """Add a person (`?flinkey_user_id=` prefills the id: the "add a name" links)."""
    directory = directory_of(fleet)
    title = _("Add a person")
    if request.method == "GET":
        initial = {}
        given = request.GET.get("flinkey_user_id", "")
        if given.isdigit():
            initial["flinkey_user_id"] = int(given)
            if directory.get(given) is not None:
                return redirect(reverse("people:edit", args=[int(given)]) + (
                    "?" + request.GET.urlencode()))
        return _form_page(request, PersonForm(initial=initial, directory=directory), title=title)
    form = PersonForm(request.POST, directory=directory)
    if not form.is_valid():
        return _form_page(request, form, title=title, status=422)
    try:
        person = save_person(by=request.user, fleet=fleet, person=form.save(commit=False),
                             before=None)
    except IntegrityError:
        # Another admin named the same id between our check and the insert.
        form.add_error("flinkey_user_id", _("Someone else has just named this flinkey user "
                                            "id. Edit that entry instead."))
        return _form_page(request, form, title=title, status=422)
    messages.success(request, _("%(name)s is now the name of flinkey user %(id)s.")
                     % {"name": person.name, "id": person.flinkey_user_id})
    return redirect(_next_url(request))


@manage_people_required
@require_http_methods(["GET", "POST"])
@with_fleet
def person_edit(request, fleet, user_id: int):
    """Change a person's name, e-mail address or department."""
    person = _person_of(fleet, user_id)
    before = person.as_changes()
    directory = directory_of(fleet)
    title = _("Edit %(name)s") % {"name": person.name}
    if request.method == "GET":
        return _form_page(request, PersonForm(instance=person, directory=directory), title=title)
    form = PersonForm(request.POST, instance=person, directory=directory)
    if not form.is_valid():
        return _form_page(request, form, title=title, status=422)
    save_person(by=request.user, fleet=fleet, person=form.save(commit=False), before=before)
    messages.success(request, _("The entry of flinkey user %(id)s was saved.") % {"id": user_id})
    return redirect(_next_url(request))


@manage_people_required
@require_http_methods(["GET", "POST"])
@with_fleet
def person_delete(request, fleet, user_id: int):
    """Remove a person (asked first); their events show the bare id again."""
    person = _person_of(fleet, user_id)
    if request.method == "GET":
        return render(request, "people/person_delete.html", {"person": person})
    delete_person(by=request.user, fleet=fleet, person=person)
    messages.success(request, _("%(name)s was removed from the people.") % {"name": person.name})
    return redirect("people:list")


@manage_people_required
@require_http_methods(["GET", "POST"])
@with_fleet
def people_import(request, fleet):
    """Import a CSV: upload → preview per line → confirm. A file with a rejected line keeps nothing.

    The preview carries the file's text in the confirming form; the import plans it again
    against the directory as it is then, so nothing the preview did not show is imported.
    """
    context = {"form": ImportForm(), "plan": None, "refused": None, "text": ""}
    if request.method == "GET":
        return render(request, "people/import.html", context)
    if "confirm" in request.POST:
        text = request.POST.get("text", "")
        try:
            counts = import_plan(by=request.user, fleet=fleet, text=text, plan_of=csv_import.plan)
        except (csv_import.FileRefused, ChangedMeanwhile):
            context["refused"] = _("The people were changed since the preview, or the file "
                                   "cannot be imported. Nothing was imported: upload it "
                                   "again to see a new preview.")
            return render(request, "people/import.html", context, status=409)
        messages.success(request, _("Imported: %(created)s added, %(updated)s changed, "
                                    "%(unchanged)s unchanged.") % counts)
        return redirect("people:list")
    form = ImportForm(request.POST, request.FILES)
    context["form"] = form
    if not form.is_valid():
        return render(request, "people/import.html", context, status=422)
    try:
        text = csv_import.decode(form.cleaned_data["file"].read(csv_import.MAX_BYTES + 1))
        plan = csv_import.plan(text, directory_of(fleet).people)
    except csv_import.FileRefused as refusal:
        context["refused"] = str(refusal)
        return render(request, "people/import.html", context, status=422)
    context.update(plan=plan, text=text)
    return render(request, "people/import.html", context,
                  status=200 if not plan.rejected else 422)
