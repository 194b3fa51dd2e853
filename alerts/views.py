"""The Alerts pages: rules per fleet store (with the cars that match now), webhooks, the
user's own subscription, recent alerts (acknowledge) and the delivery log.

The fleet is the store the user may read (fleetstore.services.stored_fleet: the fleet their
own credentials reach, with sync on). Fleet managers and admins change rules and webhooks and
acknowledge alerts; support reads everything and changes nothing (403).
"""

import json

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can_write, forbidden, write_access_required
from alerts import changes
from alerts.describe import since_heading, what_it_checks
from alerts.forms import USES_HOURS, RuleForm, SubscriptionForm, WebhookForm
from alerts.matching import NEVER, matches
from alerts.models import Alert, Delivery, Rule, Subscription, Webhook
from fleetadmin.web.map_config import map_config
from fleetstore import screens

RECENT_ALERTS = 50
LOG_PAGE_SIZE = 50


with_store = screens.with_store(problem_template="alerts/problem.html",
                                no_store_template="alerts/no_store.html")


def _rule_of(fleet, rule_id: int) -> Rule:
    try:
        return Rule.objects.select_related("fleet").get(fleet=fleet, pk=rule_id)
    except Rule.DoesNotExist:
        raise Http404(_("This alert rule is not one of your fleet's.")) from None


def _webhook_of(fleet, hook_id: int) -> Webhook:
    try:
        return Webhook.objects.select_related("fleet").get(fleet=fleet, pk=hook_id)
    except Webhook.DoesNotExist:
        raise Http404(_("This webhook is not one of your fleet's.")) from None


@login_required
@require_GET
@with_store
def index(request, fleet):
    """The fleet's rules, the newest alerts, the user's subscription."""
    subscription = Subscription.objects.filter(user=request.user, fleet=fleet).first()
    mode = subscription.mode if subscription else Subscription.Mode.NONE
    return render(request, "alerts/index.html", {
        "fleet": fleet,
        "rules": Rule.objects.filter(fleet=fleet),
        "kinds": Rule.Kind.choices,
        "alerts": Alert.objects.filter(rule__fleet=fleet).select_related("rule")[:RECENT_ALERTS],
        "subscription_form": SubscriptionForm(initial={"mode": mode}),
        "has_email": bool(request.user.email),
        "can_change": can_write(request.user),
    })


def _rule_page(request, fleet, form, rule, *, status=200):
    kind = form["kind"].value() or (rule.kind if rule else "")
    found = None
    now = timezone.now()
    if rule is not None and rule.pk:
        found = matches(rule, now, preview=True)
    if not can_write(request.user):
        for field in form.fields.values():
            field.disabled = True
    depot_map = _depot_map(rule) if kind == Rule.Kind.NOT_AT_DEPOT else None
    return render(request, "alerts/rule.html", {
        "fleet": fleet, "form": form, "rule": rule, "matches": found, "kind": kind,
        "fields": form.shown_fields(kind), "uses_hours": kind in USES_HOURS,
        "can_change": can_write(request.user), "kinds": Rule.Kind,
        "sample_minutes": fleet.sample_minutes or settings.FLEETSTORE_SAMPLE_MINUTES,
        "depot_map": depot_map, "depot_map_json": json.dumps(depot_map) if depot_map else "",
        "now": now, "never": NEVER,
        "checks": what_it_checks(rule) if rule is not None else "",
        "since_heading": since_heading(kind),
    }, status=status)


def _depot_map(rule) -> dict:
    """What static/js/depot_map.js needs besides the depots' lines, which it reads from the
    form's field (the typed lines are what is posted, the map only writes them)."""
    depots = rule.depots if rule is not None else []
    config = (map_config(center=(depots[0]["latitude"], depots[0]["longitude"]), zoom=14)
              if depots else map_config(zoom=11))  # a click moves it
    return {"config": config,
            "labels": {"new_name": _("Depot %(number)s")}}


def _zone_of(user) -> str:
    preferences = getattr(user, "preferences", None)
    return getattr(preferences, "time_zone", "") or settings.FLEETADMIN_DEFAULT_TIME_ZONE


@write_access_required
@require_http_methods(["GET", "POST"])
@with_store
def rule_create(request, fleet):
    """A new rule, switched off until its matches have been seen (`?kind=` preselects it)."""
    kind = request.GET.get("kind", Rule.Kind.LEFT_OPEN)
    if kind not in Rule.Kind.values:
        raise Http404(_("There is no such kind of alert rule."))
    blank = Rule(fleet=fleet, time_zone=_zone_of(request.user), kind=kind)
    if request.method == "GET":
        return _rule_page(request, fleet, RuleForm(instance=blank), None)
    form = RuleForm(request.POST, instance=blank)
    if not form.is_valid():
        return _rule_page(request, fleet, form, None, status=422)
    rule = changes.save_rule(by=request.user, rule=form.save(commit=False), before=None)
    messages.success(request, _("The rule “%(name)s” was saved. Below: the cars it matches "
                                "now.") % {"name": rule.name})
    return redirect("alerts:rule", rule.pk)


@login_required
@require_http_methods(["GET", "POST"])
@with_store
def rule_page(request, fleet, rule_id: int):
    """A rule, the cars it matches now; POST (fleet managers, admins) changes it."""
    rule = _rule_of(fleet, rule_id)
    if request.method == "GET":
        return _rule_page(request, fleet, RuleForm(instance=rule), rule)
    if not can_write(request.user):
        return forbidden(request)
    before = changes.rule_values(rule)
    form = RuleForm(request.POST, instance=rule)
    if not form.is_valid():
        return _rule_page(request, fleet, form, rule, status=422)
    changes.save_rule(by=request.user, rule=form.save(commit=False), before=before)
    messages.success(request, _("The rule “%(name)s” was saved.") % {"name": rule.name})
    return redirect("alerts:rule", rule.pk)


@write_access_required
@require_http_methods(["GET", "POST"])
@with_store
def rule_delete(request, fleet, rule_id: int):
    """Delete a rule and the alerts it raised, asked first (GET), as people's "Remove" is."""
    rule = _rule_of(fleet, rule_id)
    if request.method == "GET":
        return render(request, "alerts/rule_delete.html",
                      {"rule": rule, "alerts": rule.alerts.count()})
    changes.delete_rule(by=request.user, rule=rule)
    messages.success(request, _("The rule “%(name)s” was deleted.") % {"name": rule.name})
    return redirect("alerts:index")


@write_access_required
@require_POST
@with_store
def acknowledge(request, fleet, alert_id: int):
    """Mark an alert handled, for everyone."""
    try:
        alert = Alert.objects.select_related("rule__fleet").get(pk=alert_id, rule__fleet=fleet)
    except Alert.DoesNotExist:
        raise Http404(_("This alert is not one of your fleet's.")) from None
    if changes.acknowledge(by=request.user, alert=alert):
        messages.success(request, _("The alert about %(car)s is marked as handled.") % {
            "car": alert.car_name})
    else:
        messages.info(request, _("Someone has already marked this alert as handled."))
    return redirect(request.POST.get("back") == "log" and "alerts:log" or "alerts:index")


@login_required
@require_POST
@with_store
def subscribe(request, fleet):
    """The user's own choice: each alert by e-mail, a daily digest, or nothing."""
    form = SubscriptionForm(request.POST)
    if form.is_valid():
        changes.subscribe(by=request.user, fleet=fleet, mode=form.cleaned_data["mode"])
        messages.success(request, _("Your choice of alert e-mails was saved."))
    return redirect("alerts:index")


@login_required
@require_GET
@with_store
def delivery_log(request, fleet):
    """What was sent, to whom, how it went, how often it was tried."""
    deliveries = (Delivery.objects.filter(fleet=fleet)
                  .select_related("alert__rule", "user", "webhook"))
    page = Paginator(deliveries, LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "alerts/log.html", {"page": page, "fleet": fleet,
                                               "can_change": can_write(request.user)})


@login_required
@require_GET
@with_store
def webhooks(request, fleet):
    return render(request, "alerts/webhooks.html", {
        "webhooks": Webhook.objects.filter(fleet=fleet), "can_change": can_write(request.user)})


def _webhook_page(request, form, hook, *, status=200):
    return render(request, "alerts/webhook_form.html", {"form": form, "hook": hook},
                  status=status)


@write_access_required
@sensitive_post_parameters("secret")
@require_http_methods(["GET", "POST"])
@with_store
def webhook_create(request, fleet):
    if request.method == "GET":
        return _webhook_page(request, WebhookForm(), None)
    form = WebhookForm(request.POST, instance=Webhook(fleet=fleet))
    if not form.is_valid():
        return _webhook_page(request, form, None, status=422)
    hook = changes.save_webhook(by=request.user, hook=form.save(commit=False), before=None,
                                secret_changed=True)
    messages.success(request, _("The webhook “%(name)s” was saved.") % {"name": hook.name})
    return redirect("alerts:webhooks")


@write_access_required
@sensitive_post_parameters("secret")
@require_http_methods(["GET", "POST"])
@with_store
def webhook_edit(request, fleet, hook_id: int):
    hook = _webhook_of(fleet, hook_id)
    if request.method == "GET":
        return _webhook_page(request, WebhookForm(instance=hook), hook)
    before = {"name": hook.name, "url": hook.url, "enabled": hook.enabled}
    form = WebhookForm(request.POST, instance=hook)
    if not form.is_valid():
        return _webhook_page(request, form, hook, status=422)
    changes.save_webhook(by=request.user, hook=form.save(commit=False), before=before,
                         secret_changed=bool(form.cleaned_data.get("secret")))
    messages.success(request, _("The webhook “%(name)s” was saved.") % {"name": hook.name})
    return redirect("alerts:webhooks")


@write_access_required
@require_POST
@with_store
def webhook_delete(request, fleet, hook_id: int):
    hook = _webhook_of(fleet, hook_id)
    changes.delete_webhook(by=request.user, hook=hook)
    messages.success(request, _("The webhook “%(name)s” was deleted.") % {"name": hook.name})
    return redirect("alerts:webhooks")
