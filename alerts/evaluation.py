"""Raising alerts: each enabled rule's matches become alerts, once per episode.

An alert and its deliveries are written in one transaction, and the alert is unique per
(rule, car, episode start): a second evaluation (another scheduler, a retried task, the next
minute) finds the episode raised and adds nothing. Sending happens afterwards, from the
delivery rows (alerts.sending).
"""

import zoneinfo
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.access import ROLES
from alerts.matching import Match, matches
from alerts.models import Alert, Delivery, Rule, Subscription


def evaluate(now: datetime | None = None) -> list[int]:
    """Raise the alerts of every enabled rule of every synced store; return the new deliveries."""
    now = now or timezone.now()
    rules = Rule.objects.filter(enabled=True, fleet__enabled=True,
                                fleet__synced_at__isnull=False).select_related("fleet")
    created = []
    for rule in rules:
        known = set(Alert.objects.filter(rule=rule).values_list("car_id", "episode_start"))
        for match in matches(rule, now):
            if (match.car_id, match.episode_start) not in known:
                created.extend(raise_alert(rule, match, now))
    return created


def raise_alert(rule: Rule, match: Match, now: datetime) -> list[int]:
    """Write the alert and its deliveries (one transaction); [] if the episode was raised."""
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule, car_id=match.car_id, car_name=match.car_name,
                episode_start=match.episode_start, raised_at=now,
                detail={**match.detail, "license_plate": match.license_plate})
            deliveries = [Delivery.objects.create(
                alert=alert, fleet=rule.fleet, channel=Delivery.Channel.EMAIL, user=sub.user,
                recipient=sub.user.email, created_at=now, next_attempt_at=now)
                for sub in subscribers(rule.fleet, Subscription.Mode.NOW)]
            deliveries += [Delivery.objects.create(
                alert=alert, fleet=rule.fleet, channel=Delivery.Channel.WEBHOOK, webhook=hook,
                recipient=hook.url, created_at=now, next_attempt_at=now)
                for hook in rule.fleet.alert_webhooks.filter(enabled=True)]
    except IntegrityError:
        return []  # another evaluation raised this episode a moment ago
    return [delivery.pk for delivery in deliveries]


def subscribers(fleet, mode: str):
    """Subscriptions in `mode` of active users with a role and an address, whose customer is
    still the fleet's (someone moved to another customer, or whose role was taken away, gets
    none of this fleet's alerts)."""
    with_role = Subscription.objects.filter(user__groups__name__in=ROLES).values("pk")
    return (Subscription.objects.filter(
        fleet=fleet, mode=mode, user__is_active=True, pk__in=with_role,
        user__flinkey_credentials__customer_id=fleet.customer_id)
        .exclude(user__email="").select_related("user", "user__preferences"))


def make_digests(now: datetime | None = None) -> list[int]:
    """A digest delivery for each digest subscriber whose local hour is ALERTS_DIGEST_HOUR.

    Unique per (fleet, user, local day): running this again that hour makes none twice.
    A digest with no alerts in it is not made.
    """
    from fleetstore.models import FleetSync

    now = now or timezone.now()
    created = []
    for fleet in FleetSync.objects.filter(enabled=True):
        for sub in subscribers(fleet, Subscription.Mode.DIGEST):
            preferences = getattr(sub.user, "preferences", None)
            zone = getattr(preferences, "time_zone", "") or settings.FLEETADMIN_DEFAULT_TIME_ZONE
            local = now.astimezone(zoneinfo.ZoneInfo(zone))
            if local.hour != settings.ALERTS_DIGEST_HOUR:
                continue
            if not Alert.objects.filter(rule__fleet=fleet, raised_at__lte=now,
                                        raised_at__gt=now - _DAY).exists():
                continue
            try:
                with transaction.atomic():
                    delivery = Delivery.objects.create(
                        fleet=fleet, channel=Delivery.Channel.DIGEST, user=sub.user,
                        recipient=sub.user.email, digest_day=local.date(), created_at=now,
                        next_attempt_at=now)
            except IntegrityError:
                continue
            created.append(delivery.pk)
    return created


_DAY = timedelta(days=1)
