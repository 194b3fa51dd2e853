"""Throttling failed password sign-ins (django-axes): the hooks its settings name.

Attempts are counted per (username, client address) in the shared database, so every
instance behind the load balancer sees the same count. Only password attempts count:
single sign-on and proxy sign-ins are checked by the identity provider and the portal,
and counting them here would let anyone lock SSO users out with forged callbacks.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.proxy_auth import address_in, meta_key
from audit.signals import UNKNOWN_USER, recordable_username


def known_username(tried) -> str:
    """Return `tried` when an account has that username, else UNKNOWN_USER.

    The text typed into the username field may be a password typed one field early: it
    is stored only when it names an account.
    """
    return recordable_username(tried or "") if tried else UNKNOWN_USER


def throttle_username(request, credentials) -> str | None:
    """AXES_USERNAME_CALLABLE: the account's name, or UNKNOWN_USER for any other text."""
    field = get_user_model().USERNAME_FIELD
    tried = (credentials or {}).get(field)
    if tried is None and request is not None and request.method == "POST":
        tried = request.POST.get(field)
    return known_username(tried)


def not_a_password_attempt(request, credentials) -> bool:
    """AXES_WHITELIST_CALLABLE: True for single sign-on and proxy sign-ins (not counted)."""
    credentials = credentials or {}
    if "password" in credentials:
        return False
    return request is None or request.method != "POST" or "password" not in request.POST


def client_address(request) -> str:
    """AXES_CLIENT_IP_CALLABLE: the peer address, or LOGIN_CLIENT_IP_HEADER's last entry.

    Behind a load balancer every request comes from the balancer; it appends the real
    client to X-Forwarded-For. Only the last entry is the balancer's own: earlier ones are
    whatever the client sent. And the header is believed only when the request comes from
    one of LOGIN_CLIENT_IP_TRUSTED_PROXIES: anyone else could write any address into it.
    """
    peer = request.META.get("REMOTE_ADDR", "")
    header = settings.LOGIN_CLIENT_IP_HEADER
    if header and address_in(peer, "LOGIN_CLIENT_IP_TRUSTED_PROXIES"):
        entries = [item.strip() for item in request.META.get(meta_key(header), "").split(",")
                   if item.strip()]
        if entries:
            return entries[-1][:64]
    return peer


def locked_out(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: the login page, answered 429, saying why and for how long."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    message = _("Too many failed sign-ins for this account from your address. Try again in "
                "%(minutes)d minutes, or ask an administrator to unlock the account.") % {
                    "minutes": minutes}
    form = AuthenticationForm(request)
    return render(request, "accounts/login.html", {
        "form": form,
        "locked_out_message": message,
        "next": request.POST.get("next", "") if request.method == "POST" else "",
        "local_login_enabled": settings.LOCAL_LOGIN_ENABLED,
        "oidc_enabled": settings.OIDC_ENABLED,
    }, status=429)


def is_locked_out(username: str) -> bool:
    """True when failed attempts for `username` have reached the limit (from any address)."""
    from axes.models import AccessAttempt
    from django.utils import timezone

    attempts = AccessAttempt.objects.filter(
        username=username, failures_since_start__gte=settings.AXES_FAILURE_LIMIT,
        attempt_time__gte=timezone.now() - settings.AXES_COOLOFF_TIME,
    )
    return attempts.exists()


def unlock(username: str) -> int:
    """Forget the failed attempts of `username`; return how many records were removed."""
    from axes.utils import reset

    return reset(username=username)
