"""The Fleet sync page: admins turn a fleet's background sync on, rotate it, turn it off;
everyone who reaches the fleet sees its status and may ask for a refresh."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from accounts.access import can_manage_users, forbidden
from fleetadmin.upstream.clients import SetupNeeded, credentials_of
from fleetadmin.upstream.customer_switch import safe_next
from fleetadmin.web.htmx import render_screen, screen
from fleetadmin.web.problems import problem_of
from fleetstore import services
from fleetstore.forms import SyncCredentialForm
from flinkey import FlinkeyError

TEMPLATE = "fleetstore/sync.html"

REFUSED = {
    "credentials": gettext_lazy(
        "flinkey refused this login. Check the API key, username and password."),
    "customer": gettext_lazy(
        "This login does not reach your customer. Use an API manager of this customer."),
    "unavailable": gettext_lazy(
        "flinkey could not be reached to check this login. Try again later."),
}


def _page(request, *, fleet=None, problem=None, unconfirmed=False, form=None, status=200):
    fleet_sync = services.sync_of(fleet) if fleet is not None else None
    context = {
        "fleet": fleet,
        "problem": problem,
        "unconfirmed": unconfirmed,  # `fleet` is not proven: `problem` says why, as a notice
        "status": services.status_of(fleet_sync),
        "can_change": can_manage_users(request.user),
        "form": form or SyncCredentialForm(),
        "customer_name": getattr(credentials_of(request.user), "customer_name", ""),
    }
    return render_screen(request, TEMPLATE, context, regions=["sync-status"], status=status)


def _proven(request):
    """(fleet, None) for the fleet the user's own credentials reach, else (None, error)."""
    try:
        return services.fleet_of(request.user), None
    except (SetupNeeded, FlinkeyError) as error:
        return None, error


def _unproven(request, error):
    """The page when the user's reach cannot be proven now (`error`).

    While flinkey gives no verdict (down, slow, failing), the sync status stored for the
    customer of the user's own settings, with controls and a notice: the page every failing-
    sync banner links to must not go blank with flinkey. Nothing is changed unproven, though
    (an action answers the problem's status). After a refusal, only the problem.
    """
    problem = problem_of(error)
    fleet = services.unconfirmed_fleet(request.user, error)
    if fleet is None:
        return _page(request, problem=problem, status=problem.status)
    if request.method in ("GET", "HEAD"):
        return _page(request, fleet=fleet, problem=problem, unconfirmed=True)
    messages.error(request, _("Nothing was changed: flinkey has to confirm your access first."))
    return _page(request, fleet=fleet, problem=problem, unconfirmed=True, status=problem.status)


@screen
@login_required
@sensitive_post_parameters("api_key", "username", "password")
def sync_page(request):
    """Show the fleet's sync status; POST (admins): turn sync on or rotate its credential."""
    fleet, error = _proven(request)
    if error is not None:
        return _unproven(request, error)
    if request.method != "POST":
        return _page(request, fleet=fleet)
    if not can_manage_users(request.user):
        return forbidden(request, _("Only administrators turn the fleet sync on or off."))
    form = SyncCredentialForm(request.POST)
    if not form.is_valid():
        return _page(request, fleet=fleet, form=form, status=400)
    try:
        services.turn_on(user=request.user, fleet=fleet,
                         customer_name=getattr(credentials_of(request.user), "customer_name", ""),
                         **form.cleaned_data)
    except services.CredentialRefused as refused:
        form.add_error(None, REFUSED[refused.reason])
        return _page(request, fleet=fleet, form=form, status=400)
    messages.success(request, _("Fleet sync is on. The first sync has been asked for."))
    return redirect("fleetstore:sync")


@login_required
@require_POST
def turn_off(request):
    """Turn the fleet's sync off (admins) and forget its sync credential."""
    if not can_manage_users(request.user):
        return forbidden(request, _("Only administrators turn the fleet sync on or off."))
    fleet, error = _proven(request)
    if error is not None:
        return _unproven(request, error)
    if services.turn_off(user=request.user, fleet=fleet):
        messages.success(request, _("Fleet sync is off. Its sync credential was deleted."))
    else:
        messages.info(request, _("Fleet sync was not on."))
    return redirect("fleetstore:sync")


@screen
@login_required
@require_POST
def refresh(request):
    """Ask for a sync of the fleet now; the status region shows its progress.

    Asked from another page ("Refresh now" under its data, with `next`): back to that page,
    its search, filters and period kept, and the message there.
    """
    fleet, error = _proven(request)
    if error is not None:
        return _unproven(request, error)
    fleet_sync = services.enabled_sync(fleet)
    if fleet_sync is None:
        messages.info(request, _("Fleet sync is not on for this customer."))
    elif services.request_refresh(user=request.user, fleet_sync=fleet_sync):
        messages.success(request, _("A sync has been asked for."))
    else:
        messages.info(request, _("A sync is already under way or waiting for a worker."))
    if request.htmx:
        return _page(request, fleet=fleet)
    # Only a page of this site: `next` comes from the form, and a forged one must not
    # send the user elsewhere.
    return redirect(safe_next(request, request.POST.get("next"),
                              fallback=reverse("fleetstore:sync")))
