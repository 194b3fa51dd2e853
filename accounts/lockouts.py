"""Lock-outs of failed password sign-ins in the audit log: one entry per episode.

django-axes says "locked out" (its user_locked_out signal) at the failure that reaches
the limit and again at every attempt it refuses while the lock holds: a script trying a
locked pair wrote 50–70 audit entries a second. The audit log now records the lock once.
An episode starts with the lock and ends when it expires or the pair's attempts are
reset (a successful sign-in, an admin's unlock, `axes_reset`); the refused attempts in
between write nothing.

"Once" holds across instances and concurrent requests through the database: the
episode's row (SignInLockout, unique per username and address) is inserted in the same
transaction as the entry, and only the request that inserts it (or renews an expired
one) writes the entry.
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from accounts.models import SignInLockout
from audit.models import AuditEntry
from audit.recording import record


def _lock_ends_at(username: str, ip_address: str):
    """When the pair's lock expires: its last counted failure plus the cool-off.

    Attempts refused during the lock are not counted (AXES_RESET_COOL_OFF_ON_FAILURE_
    DURING_LOCKOUT is off), so this moment stays put while the lock lasts.
    """
    from axes.models import AccessAttempt

    attempts = AccessAttempt.objects.filter(username=username)
    attempts = (attempts.filter(ip_address=ip_address) if ip_address
                else attempts.filter(ip_address__isnull=True))
    last = attempts.aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def record_lockout(sender, request=None, username=None, ip_address=None, **kwargs) -> bool:
    """Receiver of axes' user_locked_out: record the lock unless its episode is on record.

    Returns True when this call wrote the entry.
    """
    username = str(username or "")[:255]
    ip_address = str(ip_address or "")[:64]
    until = _lock_ends_at(username, ip_address)
    with transaction.atomic():
        # On PostgreSQL a concurrent insert of the same pair waits for the first and then
        # finds its row; on SQLite the transactions run one after the other.
        episode, created = SignInLockout.objects.select_for_update().get_or_create(
            username=username, ip_address=ip_address, defaults={"until": until})
        if not created:
            if episode.until > timezone.now():
                return False  # this episode is on record already
            episode.until = until
            episode.save(update_fields=["until"])
        minutes = max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))
        record(user=None, action="auth.locked_out", username=username,
               outcome=AuditEntry.Outcome.FAILURE,
               message=f"{settings.AXES_FAILURE_LIMIT} failed sign-ins from one address; "
                       f"locked for {minutes} minutes")
    return True


def end_episode(sender, instance, **kwargs) -> None:
    """Receiver of post_delete for axes' AccessAttempt: the pair's count is reset.

    A reset deletes the attempts (sign-in, unlock, clean-up of expired ones): the next
    lock of that pair is a new episode, recorded again.
    """
    SignInLockout.objects.filter(
        username=instance.username or "", ip_address=instance.ip_address or "").delete()
