"""Reverse-proxy header login, for portals that authenticate people in front of the app.

The header is believed only when the request's peer address (REMOTE_ADDR, the TCP
connection, not X-Forwarded-For) is one of PROXY_AUTH_TRUSTED_PROXIES. From anywhere else
the header is ignored as if it were absent, so nobody can sign in by sending it.
The trusted proxy must remove or overwrite the header on every request it forwards.
"""

import ipaddress
import logging
from functools import lru_cache

from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import RemoteUserBackend
from django.contrib.auth.middleware import RemoteUserMiddleware
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction

from accounts.access import ROLE_SUPPORT
from accounts.identities import free_username
from accounts.models import SSOIdentity
from accounts.roles import change_role, role_for_groups

LOGGER = logging.getLogger(__name__)

# The session remembers which proxy identity it belongs to (the header's value).
SESSION_SUBJECT_KEY = "fleetadmin_proxy_subject"


def proxy_issuer() -> str:
    """The issuer of proxy identities: accounts are keyed by (this, the header's value)."""
    return "proxy:" + settings.PROXY_AUTH_HEADER.strip().lower()


def meta_key(header: str) -> str:
    """Return the request.META key of an HTTP header name ("X-Remote-User" → HTTP_X_REMOTE_USER)."""
    return "HTTP_" + header.strip().upper().replace("-", "_")


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...], setting: str):
    try:
        return tuple(
            ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()
        )
    except ValueError as error:
        raise ImproperlyConfigured(f"{setting}: {error}") from error


def address_in(address: str, setting: str) -> bool:
    """True when `address` is among the IPs or CIDR networks of the list setting `setting`."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in network
               for network in _networks(tuple(getattr(settings, setting)), setting))


def is_trusted_proxy(address: str) -> bool:
    """True when `address` is one of the configured proxies (IPs or CIDR networks)."""
    return address_in(address, "PROXY_AUTH_TRUSTED_PROXIES")


class ProxyAuthMiddleware(RemoteUserMiddleware):
    """Django's RemoteUserMiddleware, reading the configured header from trusted proxies only."""

    def __call__(self, request):
        if not settings.PROXY_AUTH_ENABLED:
            return self.get_response(request)
        return super().__call__(request)

    @property
    def header(self):
        return meta_key(settings.PROXY_AUTH_HEADER)

    def get_username(self, request):
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            if self.header in request.META:
                LOGGER.warning(
                    "ignored %s from %s, which is not a trusted proxy",
                    settings.PROXY_AUTH_HEADER, request.META.get("REMOTE_ADDR"),
                )
            raise KeyError(self.header)
        username = request.META[self.header].strip()
        if not username:
            raise KeyError(self.header)
        return username

    def process_request(self, request):
        # The session is the header's account when it was opened for that header value:
        # compared by identity, never by username (a local account may share the name).
        try:
            subject = self.get_username(request)
        except KeyError:
            return super().process_request(request)
        if (request.user.is_authenticated
                and request.session.get(SESSION_SUBJECT_KEY) == subject[:255]):
            return None
        if request.user.is_authenticated:
            self._remove_invalid_user(request)
        user = auth.authenticate(request, remote_user=subject)
        if user:
            auth.login(request, user)
            request.session[SESSION_SUBJECT_KEY] = subject[:255]
        return None


class ProxyAuthBackend(RemoteUserBackend):
    """Signs in the user the trusted proxy names; new users get the role of their groups."""

    sign_in_method = "proxy"  # as the audit log's sign-in entries name it

    @property
    def create_unknown_user(self):
        return settings.PROXY_AUTH_CREATE_USERS

    def authenticate(self, request, remote_user):
        # Only through ProxyAuthMiddleware, which has checked the peer address.
        if not settings.PROXY_AUTH_ENABLED or request is None:
            return None
        if not is_trusted_proxy(request.META.get("REMOTE_ADDR", "")):
            return None
        subject = self.clean_username(remote_user or "")
        if not subject:
            return None
        user, created = self._user_for(request, subject)
        if user is None:
            return None
        user = self.configure_user(request, user, created=created)
        return user if self.user_can_authenticate(user) else None

    def clean_username(self, username):
        return username.strip()[:255]

    def _user_for(self, request, subject):
        """The account of the proxy identity `subject`, created if allowed; or None."""
        issuer = proxy_issuer()
        with transaction.atomic():
            identity = (SSOIdentity.objects.select_related("user")
                        .filter(issuer=issuer, subject=subject).first())
            if identity is not None:
                return identity.user, False
            if not self.create_unknown_user:
                return None, False
            # Never a local account of the same name (an admin's, say): a new one.
            user = get_user_model().objects.create_user(free_username(subject, issuer, subject))
            SSOIdentity.objects.create(user=user, issuer=issuer, subject=subject)
            return user, True

    def configure_user(self, request, user, created=True):
        if user is None:
            return user
        if created:
            # Signs in through the proxy only; there is no password of ours to guess.
            user.set_unusable_password()
            user.save(update_fields=["password"])
        groups_header = settings.PROXY_AUTH_GROUPS_HEADER
        if groups_header:
            groups = [
                name.strip()
                for name in request.META.get(meta_key(groups_header), "").split(",")
                if name.strip()
            ]
            role = role_for_groups(
                groups, admin_groups=settings.OIDC_ADMIN_GROUPS,
                fleet_manager_groups=settings.OIDC_FLEET_MANAGER_GROUPS,
                support_groups=settings.OIDC_SUPPORT_GROUPS,
            )
            change_role(user, role, by=None,
                        how="proxy groups: " + (", ".join(sorted(groups)) or "none")[:400])
        elif created:
            change_role(user, ROLE_SUPPORT, by=None, how="new user signed in through the proxy")
        return user
