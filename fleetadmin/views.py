"""Views of the fleetadmin app: the settings page with credentials and customer choice."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from fleetadmin import audit
from fleetadmin.errors import problem_of
from fleetadmin.flinkey import SetupNeeded, client_for, credentials_of
from fleetadmin.forms import CredentialsForm, CustomerChoiceForm, PreferencesForm
from fleetadmin.models import UserPreferences
from flinkey import FlinkeyError

SETTINGS_TEMPLATE = "fleetadmin/settings.html"


def _preferences_of(user) -> UserPreferences:
    preferences, _created = UserPreferences.objects.get_or_create(user=user)
    return preferences


def _settings_context(request, **overrides):
    stored = credentials_of(request.user)
    context = {
        "credentials": stored,
        "credentials_form": CredentialsForm(stored=stored),
        "preferences_form": PreferencesForm(instance=_preferences_of(request.user)),
    }
    context.update(overrides)
    return context


@login_required
def settings_page(request):
    """Show and save the user's flinkey credentials."""
    if request.method == "POST":
        form = CredentialsForm(request.POST, stored=credentials_of(request.user))
        if form.is_valid():
            with transaction.atomic():
                _credentials, changed = form.save(request.user)
                if changed:
                    # Which fields changed, never their values.
                    audit.record(user=request.user, action="credentials.change",
                                 changes=audit.changed_fields(changed))
            if changed:
                messages.success(request, _("Your flinkey credentials were saved."))
            else:
                messages.info(request, _("Nothing changed."))
            return redirect("settings")
        # Keep what was typed (secrets are never echoed back, by design).
        return render(request, SETTINGS_TEMPLATE, _settings_context(request, credentials_form=form),
                      status=400)
    return render(request, SETTINGS_TEMPLATE, _settings_context(request))


@login_required
@require_POST
def save_preferences(request):
    """Save the user's display preferences."""
    preferences = _preferences_of(request.user)
    before = {"time_zone": preferences.time_zone,
              "flinkey_user_id": preferences.flinkey_user_id}
    form = PreferencesForm(request.POST, instance=preferences)
    if form.is_valid():
        with transaction.atomic():
            form.save()
            changes = audit.field_changes(before, {
                "time_zone": form.instance.time_zone,
                "flinkey_user_id": form.instance.flinkey_user_id})
            if changes:
                audit.record(user=request.user, action="preferences.change", changes=changes)
        messages.success(request, _("Your preferences were saved."))
        return redirect("settings")
    return render(request, SETTINGS_TEMPLATE, _settings_context(request, preferences_form=form),
                  status=400)


def _connection_result(request, *, customers=None, error=None, status=200):
    template = SETTINGS_TEMPLATE + "#connection" if request.htmx else SETTINGS_TEMPLATE
    context = _settings_context(request, customers=customers, connection_error=error,
                                connection_tested=True)
    return render(request, template, context, status=status)


@login_required
@require_POST
def test_connection(request):
    """Fetch a token and the customers list; show the customers to choose from."""
    try:
        client = client_for(request.user, customer_required=False)
        client.authenticate()
        customers = client.list_customers()
    except (SetupNeeded, FlinkeyError) as error:
        problem = problem_of(error)
        return _connection_result(request, error=problem, status=problem.status)
    return _connection_result(request, customers=customers)


def _customer_label(customer_id, name) -> str | None:
    return None if customer_id is None else f"{name} ({customer_id})"


@login_required
@require_POST
def choose_customer(request):
    """Store the customer the user works for, after checking the manager reaches it."""
    form = CustomerChoiceForm(request.POST)
    if not form.is_valid():
        return _connection_result(request, error=_("Choose one of the listed customers."),
                                  status=400)
    try:
        client = client_for(request.user, customer_required=False)
        customers = client.list_customers()
    except (SetupNeeded, FlinkeyError) as error:
        problem = problem_of(error)
        return _connection_result(request, error=problem, status=problem.status)
    chosen = next((c for c in customers if c.id == form.cleaned_data["customer_id"]), None)
    if chosen is None:
        return _connection_result(request, customers=customers, status=400,
                                  error=_("Your API manager cannot reach that customer."))
    credentials = credentials_of(request.user)
    before = {"customer": _customer_label(credentials.customer_id, credentials.customer_name)}
    credentials.customer_id, credentials.customer_name = chosen.id, chosen.name
    with transaction.atomic():
        credentials.save(update_fields=["customer_id", "customer_name", "updated_at"])
        audit.record(user=request.user, action="customer.choose", customer_id=chosen.id,
                     changes=audit.field_changes(
                         before, {"customer": _customer_label(chosen.id, chosen.name)}))
    messages.success(request, _("You now work with %(customer)s.") % {"customer": chosen.name})
    if request.htmx:
        # A full navigation, not a swap: the whole page changes context.
        return HttpResponseClientRedirect(reverse("cars:list"))
    return redirect("cars:list")
