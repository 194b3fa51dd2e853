"""Making runs and sending their e-mails: each e-mail at most once, nothing lost.

The pattern is the alerts' deliveries' (alerts.sending), on this app's `Mailing` rows:
1. A run and its mailings are written in one transaction; the run is unique per
   (schedule, due moment), so a second scheduler or a retried task writes nothing.
2. `claim` is one conditional UPDATE: a waiting mailing whose time has come (or one whose
   sender's claim ran out: that sender was killed) becomes "sending" with a fresh token.
3. The e-mail goes out with the mailing's key as its Message-ID; marking it sent (or failed,
   with the next attempt after the alerts' backoff) only succeeds with the claim's token.
Retries, attempts and the claim's length are the alerts' settings (ALERTS_RETRY_SECONDS,
ALERTS_MAX_ATTEMPTS, ALERTS_SEND_LEASE_SECONDS).
"""

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.access import ROLES
from alerts.sending import backoff, take
from schedules import content, timing
from schedules.models import Mailing, Run, Schedule

log = logging.getLogger(__name__)


def recipients_of(schedule: Schedule):
    """The owner and the chosen users who still may read the fleet and have an address:
    active, with a role, their flinkey customer still the fleet's."""
    wanted = {schedule.owner_id, *schedule.recipients.values_list("pk", flat=True)}
    return eligible_users(schedule.fleet).filter(pk__in=wanted).order_by("email", "pk")


def eligible_users(fleet):
    """Users who may receive this fleet's reports (also the form's choices)."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    with_role = users.filter(groups__name__in=ROLES).values("pk")
    return (users.filter(is_active=True, pk__in=with_role,
                         flinkey_credentials__customer_id=fleet.customer_id)
            .exclude(email="").select_related("preferences").distinct())


def make_run(schedule: Schedule, due_at: datetime, *, trigger=Run.Trigger.SCHEDULED,
             requested_by: str = "") -> Run | None:
    """The run of `schedule` due at `due_at` with one mailing per recipient; None if that
    moment's run exists already (another scheduler, a retried task)."""
    first, last, start, end = timing.period_of(schedule, due_at)
    try:
        with transaction.atomic():
            run = Run.objects.create(schedule=schedule, due_at=due_at, trigger=trigger,
                                     requested_by=requested_by, start=start, end=end,
                                     first_day=first, last_day=last)
            for user in recipients_of(schedule):
                Mailing.objects.create(run=run, user=user, recipient=user.email,
                                       next_attempt_at=due_at)
    except IntegrityError:
        return None
    return run


def claim(mailing_id: int, now: datetime | None = None) -> tuple[Mailing, str] | None:
    """Take the mailing for sending, or None (sent, given up, not due, or someone has it)."""
    token = take(Mailing, mailing_id, now=now, taken_over=_(
        "A worker stopped while sending; sent again with the same Message-ID."))
    if token is None:
        return None
    return Mailing.objects.select_related(
        "run__schedule__fleet", "run__schedule__owner", "user__preferences").get(
        pk=mailing_id), token


class SendFailed(Exception):
    """This attempt did not deliver; the text goes to the run history."""

    final = False  # True: trying again cannot help


class NotAllowed(SendFailed):
    """The recipient may no longer read the fleet (role, customer or account changed)."""

    final = True


def deliver(mailing_id: int) -> str:
    """Claim, build, send and settle one mailing; returns what happened (the task's result).

    What goes into the run history is written in the project's language (LANGUAGE_CODE),
    whatever a worker happens to have active; the e-mail is in the recipient's.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _deliver(mailing_id)


def _deliver(mailing_id: int) -> str:
    claimed = claim(mailing_id)
    if claimed is None:
        return "not due, already sent, or being sent"
    mailing, token = claimed
    try:
        rows = send(mailing)
    except Exception as error:  # anything: the row must not stay "sending" until its claim ends
        if isinstance(error, SendFailed):
            reason = str(error)
        else:
            log.warning("schedules: mailing %s failed", mailing_id, exc_info=True)
            reason = _("The report could not be made: fleetadmin error %(kind)s.") % {
                "kind": type(error).__name__}
        return _settle_failure(mailing, token, reason,
                               final=getattr(error, "final", False))
    Mailing.objects.filter(pk=mailing.pk, claim=token).update(
        status=Mailing.Status.SENT, sent_at=timezone.now(), claimed_until=None, rows=rows)
    return "sent"


def _settle_failure(mailing: Mailing, token: str, reason: str, *, final: bool) -> str:
    attempts = mailing.attempts
    if final or attempts >= settings.ALERTS_MAX_ATTEMPTS:
        changes = dict(status=Mailing.Status.FAILED)
    else:
        changes = dict(status=Mailing.Status.PENDING,
                       next_attempt_at=timezone.now() + backoff(attempts))
    Mailing.objects.filter(pk=mailing.pk, claim=token).update(
        last_error=reason[:2000], claimed_until=None, **changes)
    return f"attempt {attempts} failed: {reason}"


def send(mailing: Mailing) -> int:
    """Send the e-mail with the report attached; return its rows. Raises SendFailed."""
    # Again at sending: a retry hours later must not reach someone who lost access since.
    if not eligible_users(mailing.run.schedule.fleet).filter(
            pk=mailing.user_id, email=mailing.recipient).exists():
        raise NotAllowed(_("Not sent: the recipient no longer has access to the fleet, or "
                           "another e-mail address."))
    message = content.message_for(mailing.run, mailing.user)
    email = EmailMessage(message.subject, message.body, None, [mailing.recipient],
                         headers={"Message-ID": f"<{mailing.key}@fleetadmin.schedules>"})
    email.attach(message.attachment.filename, message.attachment.content,
                 message.attachment.mimetype)
    try:
        email.send()
    except OSError as error:  # smtplib's errors are OSErrors, as are refused connections
        raise SendFailed(_("The mail server did not take it: %(error)s") % {
            "error": f"{type(error).__name__}: {error}"}) from None
    return message.attachment.rows


def due_mailings(now: datetime | None = None):
    """Mailings a sender should take up now (waiting, or left by a killed sender)."""
    now = now or timezone.now()
    return Mailing.objects.filter(
        Q(status=Mailing.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Mailing.Status.SENDING, claimed_until__lt=now))


def due_schedules(now: datetime):
    """(schedule, due moment) of every switched-on schedule of a synced store whose latest
    due moment has no run yet (and came after the schedule's last save)."""
    schedules = Schedule.objects.filter(enabled=True, fleet__enabled=True,
                                        fleet__synced_at__isnull=False).select_related("fleet")
    for schedule in schedules:
        moment = timing.last_due(schedule, now)
        if moment is None or moment < schedule.active_since:
            continue
        if not Run.objects.filter(schedule=schedule, due_at=moment).exists():
            yield schedule, moment
