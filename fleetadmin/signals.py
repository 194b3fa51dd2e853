"""Audit log entries for signing in and out (Django's auth signals)."""

from django.contrib.auth import BACKEND_SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from fleetadmin import audit
from fleetadmin.models import AuditEntry

# How a session was opened, by authentication backend (recorded, never a credential).
_METHODS = {
    "django.contrib.auth.backends.ModelBackend": "password",
    "fleetadmin.oidc.OIDCBackend": "sso",
    "fleetadmin.proxy_auth.ProxyAuthBackend": "proxy",
}


def _method(user, request) -> str:
    backend = getattr(user, "backend", None)
    if backend is None and request is not None and hasattr(request, "session"):
        backend = request.session.get(BACKEND_SESSION_KEY)
    return _METHODS.get(backend or "", "other")


@receiver(user_logged_in, dispatch_uid="fleetadmin.audit.login")
def record_login(sender, request, user, **kwargs):
    audit.record(user=user, action="auth.login", changes={"method": _method(user, request)})


@receiver(user_logged_out, dispatch_uid="fleetadmin.audit.logout")
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record(user=user, action="auth.logout")


@receiver(user_login_failed, dispatch_uid="fleetadmin.audit.login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs):
    # Only the name that was tried: never the password, nor an SSO nonce or verifier
    # (Django masks passwords in `credentials`, but not those).
    tried = credentials.get("username") or credentials.get("remote_user") or ""
    if request is not None:
        request._fleetadmin_failure_recorded = True
    audit.record(
        user=None, action="auth.login_failed", username=str(tried)[:150],
        outcome=AuditEntry.Outcome.FAILURE,
        message=getattr(request, "_fleetadmin_login_failure", "") if request else "",
    )
