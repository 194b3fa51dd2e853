"""Sending one delivery, at most one sender at a time, nothing lost.

claim → send → mark sent:
1. `claim` is one conditional UPDATE: a waiting row whose time has come (or a row whose
   sender's claim ran out: that sender was killed mid-send) becomes "sending" with a fresh
   claim token and `claimed_until`; two workers cannot both win it.
2. The message goes out carrying the delivery's `key` (Idempotency-Key header of the
   webhook, Message-ID of the e-mail): a resend after a killed sender is recognisable as the
   same message by the receiver.
3. Marking it sent (or failed, with the next attempt after a backoff) only succeeds with
   the claim token: a sender whose claim ran out meanwhile cannot overwrite its successor.
"""

import logging
import time
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from alerts import addresses, content, signing, webhook_http
from alerts.models import Alert, Delivery

log = logging.getLogger(__name__)


class SendFailed(Exception):
    """This attempt did not deliver; the text goes to the delivery log."""


def claim(delivery_id: int, now: datetime | None = None) -> tuple[Delivery, str] | None:
    """Take the delivery for sending, or None (sent, given up, not due, or someone has it)."""
    # The log's texts are written in the project's language, whatever the thread last spoke.
    with translation.override(settings.LANGUAGE_CODE):
        return _claim(delivery_id, now)


def _claim(delivery_id: int, now: datetime | None) -> tuple[Delivery, str] | None:
    token = take(Delivery, delivery_id, now=now,
                 taken_over=_("A worker stopped while sending; sent again with the same key."))
    if token is None:
        return None
    return Delivery.objects.select_related("alert__rule", "fleet", "user__preferences",
                                           "webhook").get(pk=delivery_id), token


def take(model, row_id: int, *, taken_over: str, now: datetime | None = None) -> str | None:
    """Claim one row of an outgoing message (`model`: PENDING/SENDING status, claim,
    attempts, claimed_until, next_attempt_at, last_error); returns the claim's token, or
    None (sent, given up, not due, or someone has it).

    A row a sender claimed and never finished (killed mid-send) is taken over once its claim
    runs out: the message may have left, so it goes again under the same key, and
    `taken_over` says so in the log.
    """
    now = now or timezone.now()
    token = uuid.uuid4().hex
    taken = dict(status=model.Status.SENDING, claim=token, attempts=F("attempts") + 1,
                 claimed_until=now + timedelta(seconds=settings.ALERTS_SEND_LEASE_SECONDS))
    rows = model.objects.filter(pk=row_id)
    if rows.filter(status=model.Status.PENDING, next_attempt_at__lte=now).update(**taken):
        return token
    if rows.filter(status=model.Status.SENDING, claimed_until__lt=now).update(
            last_error=taken_over, **taken):
        return token
    return None


def deliver(delivery_id: int) -> str:
    """Claim, send and settle one delivery; returns what happened (the task's result).

    What goes into the delivery log is written in the project's language (LANGUAGE_CODE),
    not in whichever language the process last served a page in.
    """
    with translation.override(settings.LANGUAGE_CODE):
        return _deliver(delivery_id)


def _deliver(delivery_id: int) -> str:
    claimed = claim(delivery_id)
    if claimed is None:
        return "not due, already sent, or being sent"
    delivery, token = claimed
    try:
        send(delivery)
    except Exception as error:  # anything: the row must not stay "sending" until its claim ends
        reason = str(error) if isinstance(error, SendFailed | addresses.Refused) else (
            _("fleetadmin error: %(kind)s") % {"kind": type(error).__name__})
        if not isinstance(error, SendFailed | addresses.Refused):
            log.warning("alerts: delivery %s failed", delivery_id, exc_info=True)
        return _settle_failure(delivery, token, reason)
    Delivery.objects.filter(pk=delivery.pk, claim=token).update(
        status=Delivery.Status.SENT, sent_at=timezone.now(), claimed_until=None)
    return "sent"


def _settle_failure(delivery: Delivery, token: str, reason: str) -> str:
    attempts = delivery.attempts
    if attempts >= settings.ALERTS_MAX_ATTEMPTS:
        changes = dict(status=Delivery.Status.FAILED)
    else:
        changes = dict(status=Delivery.Status.PENDING,
                       next_attempt_at=timezone.now() + backoff(attempts))
    Delivery.objects.filter(pk=delivery.pk, claim=token).update(
        last_error=reason[:2000], claimed_until=None, **changes)
    return f"attempt {attempts} failed: {reason}"


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: the base, doubled per failed attempt, at most 6 hours."""
    base = settings.ALERTS_RETRY_SECONDS
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 6 * 3600))


def due(now: datetime | None = None):
    """Deliveries a sender should take up now (waiting, or left by a killed sender)."""
    now = now or timezone.now()
    return Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.SENDING, claimed_until__lt=now))


def send(delivery: Delivery) -> None:
    """Send one delivery; raise SendFailed (or addresses.Refused) if it did not go out."""
    if delivery.channel == Delivery.Channel.WEBHOOK:
        _send_webhook(delivery)
    else:
        _send_email(delivery)


def _send_email(delivery: Delivery) -> None:
    if delivery.channel == Delivery.Channel.DIGEST:
        alerts = list(digest_alerts(delivery))
    else:
        alerts = [delivery.alert]
    subject, body = content.email_text(delivery, alerts)
    message = EmailMessage(subject, body, None, [delivery.recipient],
                           headers={"Message-ID": f"<{delivery.key}@fleetadmin.alerts>"})
    try:
        message.send()
    except OSError as error:  # smtplib's errors are OSErrors, as are refused connections
        raise SendFailed(_("The mail server did not take it: %(error)s") % {
            "error": f"{type(error).__name__}: {error}"}) from None


def digest_alerts(delivery: Delivery):
    """The alerts of a digest: its fleet's, raised in the 24 hours before it was made."""
    return (Alert.objects.filter(rule__fleet=delivery.fleet,
                                 raised_at__gt=delivery.created_at - timedelta(days=1),
                                 raised_at__lte=delivery.created_at)
            .select_related("rule").order_by("raised_at", "id"))


def _send_webhook(delivery: Delivery) -> None:
    webhook = delivery.webhook
    if webhook is None:
        raise SendFailed(_("The webhook was deleted."))
    url = webhook.url
    host, port, found = addresses.check(url)  # again at send: the name may point elsewhere now
    parts = urlsplit(url)
    body = content.webhook_body(delivery)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "fleetadmin-alerts",
        signing.TIMESTAMP_HEADER: str(timestamp),
        signing.SIGNATURE_HEADER: signing.signature(webhook.secret, timestamp, body),
        signing.KEY_HEADER: str(delivery.key),
    }
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        answer = webhook_http.post(scheme=parts.scheme, host=host, port=port, address=found[0],
                                   path=path, body=body, headers=headers)
    except webhook_http.NoAnswer as error:
        raise SendFailed(_("The webhook did not answer: %(error)s") % {"error": error}) from None
    if not 200 <= answer.status < 300:
        raise SendFailed(_("The webhook answered %(status)s: %(text)s") % {
            "status": answer.status, "text": answer.text[:300]})
