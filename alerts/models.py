"""Alert rules per fleet store, the alerts they raised, and every delivery of them.

One alert per episode: `Alert` is unique per (rule, car, episode start) and is written, with
its deliveries, in one transaction before anything is sent. Each delivery is a row of its own
(status, attempts, next attempt, claim), sent by a task: claim the row, send, mark it sent.
Times are UTC.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleetadmin.secrets.fields import EncryptedTextField
from fleetstore.models import FleetSync


class Rule(models.Model):
    """A condition on the fleet's stored cars; while `enabled` it raises alerts."""

    class Kind(models.TextChoices):
        LEFT_OPEN = "left_open", _("Left open")
        SERVICE = "service", _("Service ends")
        SILENT = "silent", _("Silent")
        OUTSIDE_HOURS = "outside_hours", _("Opened outside hours")
        NOT_AT_DEPOT = "not_at_depot", _("Not back at its depot")

    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("switched on"), default=False)
    # left_open and silent: hours; service: days.
    threshold = models.PositiveIntegerField(_("threshold"), default=12)
    # left_open: only alert outside the working hours below.
    only_outside_hours = models.BooleanField(_("only outside working hours"), default=False)
    # The zone the working hours and the depot check time are read in (the fleet's zone).
    time_zone = models.CharField(_("time zone"), max_length=64)
    # {"0": ["07:00", "18:00"], ...} Monday = "0"; a weekday left out has no working hours.
    working_hours = models.JSONField(_("working hours"), default=dict, blank=True)
    # not_at_depot: [{"name": ..., "latitude": ..., "longitude": ..., "radius": metres}, ...]
    depots = models.JSONField(_("depots"), default=list, blank=True)
    check_time = models.TimeField(_("check at"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name


class Webhook(models.Model):
    """An HTTPS endpoint of the fleet that receives every alert as signed JSON."""

    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE, related_name="alert_webhooks")
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=1000)
    # Write-only: never shown again once saved; encrypted like the flinkey credentials.
    secret = EncryptedTextField(_("signing secret"))
    enabled = models.BooleanField(_("switched on"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __repr__(self):
        return f"<Webhook {self.pk} fleet={self.fleet_id}>"  # never the secret

    def __str__(self):
        return self.name


class Subscription(models.Model):
    """How one user wants the alerts of one fleet: e-mail at once, a daily digest, or none."""

    class Mode(models.TextChoices):
        NOW = "now", _("E-mail each alert at once")
        DIGEST = "digest", _("A daily digest e-mail")
        NONE = "none", _("Nothing")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                             related_name="alert_subscriptions")
    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE,
                              related_name="alert_subscriptions")
    mode = models.CharField(_("alerts by e-mail"), max_length=10, choices=Mode.choices,
                            default=Mode.NONE)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "fleet"],
                                               name="alerts_one_subscription")]

    def __str__(self):
        return f"{self.user} {self.fleet_id} {self.mode}"


class Alert(models.Model):
    """One episode of one rule on one car: raised once, however often it is evaluated."""

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="alerts")
    car_id = models.BigIntegerField(_("car ID"))
    car_name = models.TextField(_("car"))
    # When the episode began (the opening, the last fix, the service end, the check time).
    episode_start = models.DateTimeField(_("since"))
    # What matched, in plain values, for the message and the webhook body.
    detail = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(_("raised"), default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.CharField(_("acknowledged by"), max_length=150, blank=True)

    class Meta:
        ordering = ["-raised_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["rule", "car_id", "episode_start"],
                                               name="alerts_once_per_episode")]

    def __str__(self):
        return f"{self.rule_id} car {self.car_id} since {self.episode_start:%Y-%m-%dT%H:%MZ}"


class Delivery(models.Model):
    """One message of an alert (or a digest) to one recipient: an e-mail or a webhook call.

    Sent by `alerts.tasks.send_delivery`: the row is claimed (conditional UPDATE: one sender
    at a time, for `ALERTS_SEND_LEASE_SECONDS`), sent, then marked sent. A sender killed
    mid-send leaves the claim to run out; the retry carries the same `key` (the webhook's
    Idempotency-Key, the e-mail's Message-ID), so the receiver can tell it already has it.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("e-mail")
        DIGEST = "digest", _("daily digest")
        WEBHOOK = "webhook", _("webhook")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("gave up")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, null=True, blank=True,
                              related_name="deliveries")
    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE,
                              related_name="alert_deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    webhook = models.ForeignKey(Webhook, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="deliveries")
    # The address or URL as it was when the delivery was made (the log names it).
    recipient = models.CharField(_("to"), max_length=1000)
    # A digest's day in the recipient's zone (unique per user and fleet).
    digest_day = models.DateField(null=True, blank=True)
    key = models.UUIDField(_("idempotency key"), default=uuid.uuid4, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="alerts_due")]
        constraints = [
            models.UniqueConstraint(fields=["alert", "user"], condition=models.Q(
                channel="email"), name="alerts_email_once"),
            models.UniqueConstraint(fields=["alert", "webhook"], condition=models.Q(
                channel="webhook"), name="alerts_webhook_once"),
            models.UniqueConstraint(fields=["fleet", "user", "digest_day"], condition=models.Q(
                channel="digest"), name="alerts_digest_once"),
        ]

    def __str__(self):
        return f"{self.channel} to {self.recipient}: {self.status}"
