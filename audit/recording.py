"""Recording the audit log: every write made through fleetadmin, who made it, how it ended."""

import re
from contextlib import contextmanager
from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from audit.models import AuditEntry
from fleetadmin.web.coordinates import coordinate_text
from fleetadmin.web.dates import in_range
from flinkey import FlinkeyError

# Who may read everyone's entries, not only their own (admins and support hold it).
VIEW_ALL_PERMISSION = "audit.view_all_audit"

# Every action name the log uses, with what a reader is shown.
ACTIONS = {
    "car.create": _("car created"),
    "car.update": _("car changed"),
    "car.delete": _("car deleted"),
    "event.create": _("event created"),
    "auth.login": _("signed in"),
    "auth.login_failed": _("sign-in failed"),
    "auth.locked_out": _("sign-in locked out"),
    "auth.logout": _("signed out"),
    "auth.unlock": _("sign-in unlocked"),
    "credentials.change": _("flinkey credentials changed"),
    "customer.choose": _("customer chosen"),
    "preferences.change": _("preferences changed"),
    "role.change": _("role changed"),
    "user.create": _("account created"),
    "user.deactivate": _("account deactivated"),
    "user.reactivate": _("account reactivated"),
    "user.password_reset": _("password link sent"),
    "user.password_set": _("password set from a link"),
    "audit.prune": _("old audit entries deleted"),
    "fleetsync.enable": _("fleet sync turned on"),
    "fleetsync.rotate": _("sync credential replaced"),
    "fleetsync.disable": _("fleet sync turned off"),
    "fleetsync.refresh": _("fleet sync asked for"),
    "person.create": _("person added"),
    "person.update": _("person changed"),
    "person.delete": _("person removed"),
    "person.import": _("people imported"),
    "alert_rule.create": _("alert rule created"),
    "alert_rule.update": _("alert rule changed"),
    "alert_rule.delete": _("alert rule deleted"),
    "webhook.create": _("webhook added"),
    "webhook.update": _("webhook changed"),
    "webhook.delete": _("webhook deleted"),
    "alert.acknowledge": _("alert marked as handled"),
    "alert_subscription.change": _("alert e-mails chosen"),
    "schedule.create": _("scheduled report created"),
    "schedule.update": _("scheduled report changed"),
    "schedule.delete": _("scheduled report deleted"),
    "schedule.send_now": _("scheduled report sent now"),
}


# How the page shows the names entries record in `changes`: field names, and the values of
# the fields that hold names rather than data. The CSV export keeps the names as recorded.
FIELD_LABELS = {
    "name": _("name"),
    "license_plate": _("licence plate"),
    "brand": _("brand"),
    "model": _("model"),
    "vin": _("VIN"),
    "description": _("description"),
    "api_key": _("API key"),
    "username": _("API manager username"),
    "password": _("API manager password"),
    "changed": _("changed"),
    "customer": _("customer"),
    "time_zone": _("time zone"),
    "language": _("language"),
    "role": _("role"),
    "method": _("signed in with"),
    "email": _("e-mail address"),
    "sessions_ended": _("sessions ended"),
    "sync_credential": _("sync credential"),
    "flinkey_user_id": _("flinkey user id"),
    # Capitalised: the lowercase word is the people CSV's column name, which stays English.
    "department": _("Department"),
    "source": _("source"),
    "created": _("added"),
    "updated": _("changed"),
    "unchanged": _("unchanged"),
    "signing_secret": _("signing secret"),
}
# Fields whose numbers are coordinates: written with a decimal point in every language.
COORDINATE_FIELDS = frozenset({"latitude", "longitude"})
SIGN_IN_METHODS = {
    "password": _("password"),
    "sso": _("single sign-on"),
    "proxy": _("portal"),
    "other": _("other"),
}


# Words for recorded values, by field ({"kind": {"left_open": "Left open"}}): given by the
# apps above the log (describe_fields), which it may not import.
VALUE_LABELS: dict[str, dict] = {}


def describe_fields(model=None, names=(), *, labels=None, values=None) -> None:
    """Teach the log how an app's recorded fields read, from its AppConfig.ready().

    `model`'s fields `names` read as its forms show them (the verbose name; a choice's
    words); `labels` ({field: label}) and `values` ({field: {value: words}}) add the rest.
    A field name the log knows already keeps its label.
    """
    for name in names:
        field = model._meta.get_field(name)
        FIELD_LABELS.setdefault(name, field.verbose_name)
        if field.choices:
            VALUE_LABELS.setdefault(name, {}).update(field.flatchoices)
    for name, label in (labels or {}).items():
        FIELD_LABELS.setdefault(name, label)
    for name, words in (values or {}).items():
        VALUE_LABELS.setdefault(name, {}).update(words)


def field_label(name: str) -> str:
    """Return what a reader is shown for a recorded field name (the name itself if unknown)."""
    return str(FIELD_LABELS.get(name, name))


def value_label(field: str, value):
    """Return a recorded value as shown: names in words, data (and None) as recorded."""
    if field in COORDINATE_FIELDS and type(value) in (int, float):
        return coordinate_text(value)  # as a number the page would write a German "48,137"
    words = VALUE_LABELS.get(field, {})
    if isinstance(value, str | int) and not isinstance(value, bool) and value in words:
        return str(words[value])
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if not isinstance(value, str):
        return value
    if field == "method":
        return str(SIGN_IN_METHODS.get(value, value))
    if field == "changed":
        return field_label(value)
    if field == "role" and value:
        return gettext(value)  # the role names are accounts.access.ROLE_LABELS' messages
    if _ISO_MOMENT.match(value):
        return _moment_label(value)
    return value


# A moment is recorded as ISO 8601 (exact, any reader's zone); shown as the reader's
# language writes it, an aware one in the reader's zone ("07.12.2026 05:22:59 CET").
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def _moment_label(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if not in_range(moment):
        # Recorded as it was asked for (e.g. year 1, refused upstream): shown as recorded,
        # since the reader's zone cannot hold it.
        return value
    if moment.tzinfo is None:  # a wall-clock reading (an event's dateTime)
        return formats.date_format(moment, "DATETIME_FORMAT")
    local = timezone.localtime(moment)
    return f"{formats.date_format(local, 'DATETIME_FORMAT')} {local.tzname()}"


def action_label(action: str) -> str:
    """Return what a reader is shown for `action` (the name itself if unknown)."""
    return str(ACTIONS.get(action, action))


def _sso_subject(user) -> str:
    identity = getattr(user, "sso_identity", None)
    return getattr(identity, "subject", "") or ""


def new_entry(*, user, action: str, **fields) -> AuditEntry:
    """Return an unsaved entry for `user` doing `action`; never put a secret in `fields`."""
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    return AuditEntry(
        user=user if authenticated else None,
        username=user.get_username() if authenticated else fields.pop("username", ""),
        sso_subject=_sso_subject(user) if authenticated else "",
        action=action,
        **fields,
    )


def record(*, user, action: str, outcome=AuditEntry.Outcome.SUCCESS, **fields) -> AuditEntry:
    """Store an entry for something that already happened (a login, a settings change)."""
    entry = new_entry(user=user, action=action, outcome=outcome, **fields)
    entry.save()
    return entry


@contextmanager
def recording(*, user, action: str, **fields):
    """Record the upstream write run inside the block: success, or the API's status and reason.

    The entry is stored before the block runs, as "unknown", and settled after it: a worker
    killed while flinkey works (the write may be applied) leaves "unknown", never nothing.
    The block may fill in what it learns (`entry.car_id` of a created car, `entry.event_id`).
    A FlinkeyError is recorded as a failure (or unknown, if it may have been applied) and
    raised on.
    """
    entry = new_entry(user=user, action=action, outcome=AuditEntry.Outcome.UNKNOWN, **fields)
    entry.save()
    learned_before = (entry.car_id, entry.event_id)
    try:
        yield entry
    except FlinkeyError as error:
        # A write that timed out after it was sent may or may not have happened.
        unknown = getattr(error, "write_outcome_unknown", False)
        entry.settle(
            outcome=AuditEntry.Outcome.UNKNOWN if unknown else AuditEntry.Outcome.FAILURE,
            upstream_status=error.status, message=error.message[:2000],
        )
        raise
    except Exception as error:
        # A fault of ours mid-write: the entry stays "unknown". Only the type: an
        # exception's text can carry anything, secrets included.
        entry.settle(outcome=AuditEntry.Outcome.UNKNOWN,
                     message=f"fleetadmin error: {type(error).__name__}")
        raise
    learned = {name: value for name, value, before in
               zip(("car_id", "event_id"), (entry.car_id, entry.event_id), learned_before,
                   strict=True) if value != before}
    entry.settle(outcome=AuditEntry.Outcome.SUCCESS, **learned)


def field_changes(before: dict, after: dict) -> dict:
    """Return {field: {"before": old, "after": new}} for the fields whose value differs."""
    return {
        name: {"before": before.get(name), "after": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def can_view_all(user) -> bool:
    """True when `user` may read everyone's audit entries (not only their own)."""
    return user.is_authenticated and user.has_perm(VIEW_ALL_PERMISSION)


def visible_entries(user):
    """Return the entries `user` may read: everyone's with view_all_audit, else their own."""
    entries = AuditEntry.objects.all()
    if can_view_all(user):
        return entries
    return entries.filter(user=user)
