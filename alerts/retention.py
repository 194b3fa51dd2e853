"""Forgetting old alerts and deliveries: what is older than ALERTS_RETENTION_DAYS goes.

Run daily by `alerts.tasks.prune_alerts`. Two things are never deleted, however old:
- a delivery not yet done (waiting, maybe for its retry, or being sent): deleting it would
  lose a message; its alert stays with it;
- an alert whose episode still goes on (the car matches its rule now with the same episode
  start, as the evaluation sees it): the alert is the record that this episode was raised,
  and without it the next evaluation would raise the episode again.
"""

from copy import copy
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from alerts.matching import matches
from alerts.models import Alert, Delivery, Rule

UNFINISHED = (Delivery.Status.PENDING, Delivery.Status.SENDING)
# Rows deleted per statement: a big first run holds no lock for long, nor all ids in memory.
BATCH = 1000


def prune(now: datetime | None = None) -> tuple[int, int]:
    """Delete old finished deliveries and old alerts; return (alerts, deliveries) deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ALERTS_RETENTION_DAYS)
    deliveries = _delete_in_batches(Delivery.objects.filter(created_at__lt=cutoff).exclude(
        status__in=UNFINISHED))
    unfinished = Delivery.objects.filter(alert__isnull=False, status__in=UNFINISHED)
    old = Alert.objects.filter(raised_at__lt=cutoff).exclude(
        pk__in=unfinished.values("alert_id")).exclude(pk__in=_ongoing(cutoff, now))
    alerts = _delete_in_batches(old)
    return alerts, deliveries


def _ongoing(cutoff: datetime, now: datetime) -> list[int]:
    """The old alerts whose episode the evaluation would still see now."""
    ongoing = []
    for rule in Rule.objects.filter(alerts__raised_at__lt=cutoff).distinct().select_related(
            "fleet"):
        # Whether an episode goes on does not depend on the hours a left-open rule alerts
        # in: pruned during working hours, it would be raised again that evening.
        probe = copy(rule)
        probe.only_outside_hours = False
        current = {(match.car_id, match.episode_start) for match in matches(probe, now)}
        if current:
            ongoing += [pk for pk, car_id, start in Alert.objects.filter(
                rule=rule, raised_at__lt=cutoff).values_list("pk", "car_id", "episode_start")
                if (car_id, start) in current]
    return ongoing


def _delete_in_batches(rows) -> int:
    """Delete `rows` (a queryset of one model) a batch at a time; the number of them."""
    deleted = 0
    model = rows.model
    while True:
        with transaction.atomic():
            ids = list(rows.values_list("pk", flat=True)[:BATCH])
            if not ids:
                return deleted
            # Only the rows counted: an alert's own deliveries go with it (cascade).
            model.objects.filter(pk__in=ids).delete()
            deleted += len(ids)
