"""The Settings screen: flinkey credentials, the customer to work for, preferences, language."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from fleetadmin.upstream.clients import SetupNeeded, credentials_of
from fleetadmin.web.htmx import render_screen
from fleetadmin.web.languages import forget_language_cookie, is_language, set_language_cookie
from fleetadmin.web.problems import problem_of
from flinkey import FlinkeyError
from preferences import services
from preferences.forms import CredentialsForm, CustomerChoiceForm, PreferencesForm

SETTINGS_TEMPLATE = "preferences/settings.html"


def _settings_context(request, **overrides):
    stored = credentials_of(request.user)
    context = {
        "credentials": stored,
        "credentials_form": CredentialsForm(stored=stored),
        "preferences_form": PreferencesForm(instance=services.preferences_of(user=request.user)),
    }
    context.update(overrides)
    return context


@login_required
@sensitive_post_parameters("api_key", "username", "password")
def settings_page(request):
    """Show and save the user's flinkey credentials."""
    if request.method == "POST":
        form = CredentialsForm(request.POST, stored=credentials_of(request.user))
        if form.is_valid():
            changed = services.save_credentials(user=request.user, values=form.cleaned_data)
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
    """Save the user's preferences: time zone, language, flinkey user id."""
    form = PreferencesForm(request.POST, instance=services.preferences_of(user=request.user))
    if form.is_valid():
        language = form.cleaned_data["language"]
        services.save_preferences(user=request.user, time_zone=form.cleaned_data["time_zone"],
                                  language=language,
                                  flinkey_user_id=form.cleaned_data["flinkey_user_id"])
        if language:
            translation.activate(language)  # the confirmation already in the new language
        messages.success(request, _("Your preferences were saved."))
        response = redirect("settings")
        if language:
            set_language_cookie(response, language)
        else:
            forget_language_cookie(response)
        return response
    return render(request, SETTINGS_TEMPLATE, _settings_context(request, preferences_form=form),
                  status=400)


@require_POST
def set_language(request):
    """The header's DE | EN: Django's set_language (the cookie), kept for a signed-in user."""
    response = i18n.set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and is_language(language):
        services.save_preferences(user=request.user, language=language)
    return response


def _connection_result(request, *, customers=None, error=None, status=200):
    """The #connection region for htmx, else the whole settings page with it."""
    context = _settings_context(request, customers=customers, connection_error=error,
                                connection_tested=True)
    return render_screen(request, SETTINGS_TEMPLATE, context, regions=["connection"],
                         status=status)


@login_required
@require_POST
def test_connection(request):
    """Fetch a token and the customers list; show the customers to choose from."""
    try:
        customers = services.check_connection(user=request.user)
    except (SetupNeeded, FlinkeyError) as error:
        problem = problem_of(error)
        return _connection_result(request, error=problem, status=problem.status)
    return _connection_result(request, customers=customers)


@login_required
@require_POST
def choose_customer(request):
    """Store the customer the user works for, after checking the manager reaches it."""
    form = CustomerChoiceForm(request.POST)
    if not form.is_valid():
        return _connection_result(request, error=_("Choose one of the listed customers."),
                                  status=400)
    try:
        chosen = services.choose_customer(user=request.user,
                                          customer_id=form.cleaned_data["customer_id"])
    except (SetupNeeded, FlinkeyError) as error:
        problem = problem_of(error)
        return _connection_result(request, error=problem, status=problem.status)
    except services.CustomerUnreachable as unreachable:
        return _connection_result(request, customers=unreachable.customers, status=400,
                                  error=_("Your API manager cannot reach that customer."))
    messages.success(request, _("You now work with %(customer)s.") % {"customer": chosen.name})
    if request.htmx:
        # A full navigation, not a swap: the whole page changes context.
        return HttpResponseClientRedirect(reverse("cars:list"))
    return redirect("cars:list")
