"""Every change to alerts, each in one transaction with its audit entry (never a secret)."""

from django.db import transaction
from django.utils import timezone

from alerts.models import Alert, Rule, Subscription, Webhook
from audit.recording import field_changes, record

RULE_FIELDS = ("name", "kind", "enabled", "threshold", "only_outside_hours", "time_zone",
               "working_hours", "depots", "check_time")


def rule_values(rule: Rule) -> dict:
    values = {name: getattr(rule, name) for name in RULE_FIELDS}
    values["check_time"] = rule.check_time.strftime("%H:%M") if rule.check_time else None
    return values


def _fleet_fields(fleet) -> dict:
    return {"customer_id": fleet.customer_id, "customer_name": fleet.customer_name}


def save_rule(*, by, rule: Rule, before: dict | None) -> Rule:
    """Create or change a rule (audited alert_rule.create / alert_rule.update)."""
    with transaction.atomic():
        rule.save()
        after = rule_values(rule)
        changes = after if before is None else field_changes(before, after)
        record(user=by, action="alert_rule.create" if before is None else "alert_rule.update",
               changes={"rule": rule.pk, **changes}, **_fleet_fields(rule.fleet))
    return rule


def delete_rule(*, by, rule: Rule) -> None:
    with transaction.atomic():
        record(user=by, action="alert_rule.delete",
               changes={"rule": rule.pk, "name": rule.name, "kind": rule.kind},
               **_fleet_fields(rule.fleet))
        rule.delete()


def save_webhook(*, by, hook: Webhook, before: dict | None, secret_changed: bool) -> Webhook:
    """Create or change a webhook (audited; the secret only as "changed")."""
    with transaction.atomic():
        hook.save()
        after = {"name": hook.name, "url": hook.url, "enabled": hook.enabled}
        changes = after if before is None else field_changes(before, after)
        if secret_changed:
            changes["changed"] = "signing_secret"
        record(user=by, action="webhook.create" if before is None else "webhook.update",
               changes={"webhook": hook.pk, **changes}, **_fleet_fields(hook.fleet))
    return hook


def delete_webhook(*, by, hook: Webhook) -> None:
    with transaction.atomic():
        record(user=by, action="webhook.delete",
               changes={"webhook": hook.pk, "name": hook.name, "url": hook.url},
               **_fleet_fields(hook.fleet))
        hook.delete()


def acknowledge(*, by, alert: Alert) -> bool:
    """Mark the alert handled, for everyone (audited); False if it already was."""
    with transaction.atomic():
        if not Alert.objects.filter(pk=alert.pk, acknowledged_at__isnull=True).update(
                acknowledged_at=timezone.now(), acknowledged_by=by.get_username()):
            return False
        record(user=by, action="alert.acknowledge", car_id=alert.car_id, car_name=alert.car_name,
               changes={"alert": alert.pk, "rule": alert.rule_id},
               **_fleet_fields(alert.rule.fleet))
    return True


def subscribe(*, by, fleet, mode: str) -> None:
    """Set the user's own subscription to the fleet's alerts (audited)."""
    with transaction.atomic():
        subscription, _created = Subscription.objects.select_for_update().get_or_create(
            user=by, fleet=fleet)
        before = subscription.mode
        subscription.mode = mode
        subscription.save()
        record(user=by, action="alert_subscription.change",
               changes={"mode": {"before": before, "after": mode}}, **_fleet_fields(fleet))
