"""Audit log entries for signing in and out: receivers of Django's auth signals.

Connected in AuditConfig.ready(). (Changes on the Settings screen are not signalled: the
preferences services record them directly, in the transaction that stores them.)
"""

from django.contrib.auth import BACKEND_SESSION_KEY, get_user_model
from django.utils.module_loading import import_string

from audit.models import AuditEntry
from audit.recording import record

# Django's own password backend; a backend of ours names its method in `sign_in_method`.
_MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _method(user, request) -> str:
    """How a session was opened ("password", "sso", "proxy", ...); never a credential."""
    backend = getattr(user, "backend", None)
    if backend is None and request is not None and hasattr(request, "session"):
        backend = request.session.get(BACKEND_SESSION_KEY)
    if not backend:
        return "other"
    if backend == _MODEL_BACKEND:
        return "password"
    try:
        return str(getattr(import_string(backend), "sign_in_method", "other"))
    except ImportError:
        return "other"


def record_login(sender, request, user, **kwargs):
    record(user=user, action="auth.login", changes={"method": _method(user, request)})


def record_logout(sender, request, user, **kwargs):
    if user is not None:
        record(user=user, action="auth.logout")


UNKNOWN_USER = "unknown user"


def recordable_username(tried) -> str:
    """Return `tried` if an account has that username, else "unknown user" (never the text)."""
    name = str(tried)[:150]
    user_model = get_user_model()
    if user_model._default_manager.filter(**{user_model.USERNAME_FIELD: name}).exists():
        return name
    return UNKNOWN_USER


def refused_while_locked_out(request) -> bool:
    """True for a sign-in django-axes refused because of a lock, checking no password.

    Its backend marks such a request `axes_locked_out` before any password is checked;
    the failure that reaches the limit is marked only after axes counted it, and then
    carries the count (`axes_failures_since_start`), which a refused attempt never has.
    """
    return bool(getattr(request, "axes_locked_out", False)) and (
        getattr(request, "axes_failures_since_start", None) is None)


def record_login_failed(sender, credentials, request=None, **kwargs):
    if request is not None and refused_while_locked_out(request):
        # No password was checked, and the lock itself is on record once per episode
        # (accounts.lockouts): a script trying a locked account adds nothing.
        return
    # Only the name that was tried: never the password, nor an SSO nonce or verifier
    # (Django masks passwords in `credentials`, but not those).
    tried = credentials.get("username") or credentials.get("remote_user") or ""
    if tried:
        # A name no account has is not stored: it may be a password typed one field early.
        tried = recordable_username(tried)
    if request is not None:
        request._fleetadmin_failure_recorded = True
    record(
        user=None, action="auth.login_failed", username=str(tried)[:150],
        outcome=AuditEntry.Outcome.FAILURE,
        message=getattr(request, "_fleetadmin_login_failure", "") if request else "",
    )

