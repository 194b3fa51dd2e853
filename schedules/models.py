"""Scheduled reports: a report e-mailed on a cadence, each run, each e-mail of a run.

A `Run` is unique per (schedule, due moment): two schedulers, or a retried task, that find
the same moment due write one run. Each recipient's e-mail is a `Mailing` row of its own,
written with the run in one transaction, and sent by claim → send → mark sent (as the
alerts' deliveries): one sender at a time, a failure recorded and retried later, never sent
twice once marked. Times are UTC; the cadence's time is read in `time_zone`.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleetstore.models import FleetSync

# The report of the events' "left open" page, read from the store (not in reports.catalogue).
LEFT_OPEN = "left-open"


class Schedule(models.Model):
    """One report of one fleet store, e-mailed daily, weekly or monthly at a local time."""

    class Period(models.TextChoices):
        YESTERDAY = "yesterday", _("Yesterday")
        LAST_7_DAYS = "last-7-days", _("The last 7 days")
        LAST_WEEK = "last-week", _("Last week (Monday to Sunday)")
        LAST_MONTH = "last-month", _("Last month")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    class Cadence(models.TextChoices):
        DAILY = "daily", _("Daily")
        WEEKLY = "weekly", _("Weekly")
        MONTHLY = "monthly", _("Monthly")

    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE, related_name="schedules")
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="report_schedules")
    name = models.CharField(_("name"), max_length=200)
    # A slug of reports.catalogue.REPORTS, or LEFT_OPEN.
    report = models.CharField(_("report"), max_length=40)
    period = models.CharField(_("period"), max_length=20, choices=Period.choices,
                              default=Period.YESTERDAY)
    format = models.CharField(_("file"), max_length=4, choices=Format.choices,
                              default=Format.XLSX)
    cadence = models.CharField(_("how often"), max_length=10, choices=Cadence.choices,
                               default=Cadence.DAILY)
    # weekly: Monday = 0 … Sunday = 6
    weekday = models.PositiveSmallIntegerField(_("weekday"), null=True, blank=True)
    # monthly: 1–31; a shorter month runs on its last day
    day_of_month = models.PositiveSmallIntegerField(_("day of the month"), null=True,
                                                    blank=True)
    at_time = models.TimeField(_("at"))
    # The owner's zone when the schedule was saved: the time is read in it (DST included).
    time_zone = models.CharField(_("time zone"), max_length=64)
    # left open: cars open longer than this many hours at the run
    left_open_hours = models.PositiveIntegerField(_("open for more than (hours)"), default=12)
    recipients = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True,
                                        related_name="+", verbose_name=_("also to"))
    enabled = models.BooleanField(_("switched on"), default=True)
    # Moments due before this (the last save) are not run: a changed time does not fire
    # for a moment that passed before the change.
    active_since = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def weekday_name(self) -> str:
        from django.utils.dates import WEEKDAYS

        return str(WEEKDAYS.get(self.weekday, "")) if self.weekday is not None else ""


class Run(models.Model):
    """One due moment of a schedule (or a "send now"), with the period its report covers."""

    class Trigger(models.TextChoices):
        SCHEDULED = "scheduled", _("on schedule")
        MANUAL = "manual", _("sent now")

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="runs")
    due_at = models.DateTimeField(_("due"))
    trigger = models.CharField(_("started"), max_length=10, choices=Trigger.choices,
                               default=Trigger.SCHEDULED)
    requested_by = models.CharField(max_length=150, blank=True)
    # The report's period: [start, end), and its days in the schedule's zone.
    start = models.DateTimeField()
    end = models.DateTimeField()
    first_day = models.DateField()
    last_day = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-due_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["schedule", "due_at"],
                                               name="schedules_one_run_per_moment")]

    def __str__(self):
        return f"{self.schedule_id} at {self.due_at:%Y-%m-%dT%H:%MZ}"


class Mailing(models.Model):
    """One run's e-mail to one recipient: claimed, sent, marked sent (or failed, retried)."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("gave up")

    run = models.ForeignKey(Run, on_delete=models.CASCADE, related_name="mailings")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True,
                             blank=True, related_name="+")
    recipient = models.EmailField(_("recipient"), max_length=254)
    # The e-mail's Message-ID: a resend after a killed sender is recognisably the same.
    key = models.UUIDField(default=uuid.uuid4, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=64, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        ordering = ["recipient", "id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="schedules_due")]
        constraints = [models.UniqueConstraint(fields=["run", "recipient"],
                                               name="schedules_one_mail_per_recipient")]

    def __str__(self):
        return f"{self.recipient}: {self.status}"
