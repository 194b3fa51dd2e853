"""Single sign-ons in progress: kept in an encrypted cookie, not in a session.

mozilla-django-oidc keeps a sign-in's state, nonce and PKCE verifier in the session when
it sends the browser to the provider: every anonymous click on "Sign in with single
sign-on" created a session row (about 73 a second from one script). Here they travel in
a cookie instead, and the session starts only when the provider's answer signs someone
in (accounts.oidc.CallbackView).

The cookie:
- is encrypted and authenticated (Fernet, FLINKEY_ENCRYPTION_KEYS): the nonce and the
  verifier are not readable in the browser and cannot be forged;
- holds at most MAX_PENDING sign-ins (several tabs), each accepted for
  OIDC_SIGN_IN_SECONDS after it started, and each only once (a state is removed from the
  cookie when its callback comes, and claimed in the shared cache, so a copy of an old
  cookie cannot replay it either);
- is HttpOnly and sent only to the /oidc/ URLs;
- has the session cookie's SameSite and Secure: Lax by default, which browsers send with
  the provider's redirect back (a top-level GET from another site); None, Secure and
  Partitioned with DJANGO_CROSS_SITE_COOKIES, where the sign-in runs inside a portal's
  frame on another site and a Lax cookie would not come back.
"""

import hashlib
import json
import logging
import time
from dataclasses import asdict, dataclass

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse

from fleetadmin.ops.framing import mark_partitioned
from fleetadmin.secrets import crypto

LOGGER = logging.getLogger(__name__)

COOKIE_NAME = "fleetadmin_sso"
# Sign-ins started in several tabs at once; the oldest goes first.
MAX_PENDING = 4
# Where to go afterwards is a path of ours; longer ones are dropped, not truncated.
MAX_NEXT_URL = 1000

_now = time.time  # the tests move the clock


@dataclass(frozen=True)
class PendingSignIn:
    """What the callback needs of a sign-in it started: never shown, never logged."""

    state: str
    nonce: str
    code_verifier: str | None
    next_url: str | None
    started: float


def cookie_path() -> str:
    """The path prefix both sign-on URLs share (/oidc/): the cookie goes nowhere else."""
    start, callback = reverse("oidc_authentication_init"), reverse("oidc_authentication_callback")
    common = ""
    for a, b in zip(start, callback, strict=False):
        if a != b:
            break
        common += a
    return common[: common.rfind("/") + 1] or "/"


def pending_sign_ins(request) -> dict[str, PendingSignIn]:
    """The sign-ins this browser has in progress (expired ones left out), by state."""
    value = request.COOKIES.get(COOKIE_NAME, "")
    if not value:
        return {}
    try:
        entries = json.loads(crypto.decrypt(value))
        pending = [PendingSignIn(**entry) for entry in entries]
    except (crypto.DecryptionError, ValueError, TypeError, UnicodeError):
        # Forged, damaged, or from before a key rotation: as if there were none.
        LOGGER.info("ignored a single sign-on cookie that cannot be read")
        return {}
    oldest = _now() - settings.OIDC_SIGN_IN_SECONDS
    return {entry.state: entry for entry in pending
            if isinstance(entry.state, str) and entry.started >= oldest}


def remember(response, request, pending: PendingSignIn) -> None:
    """Add a sign-in just started to the cookie on `response` (with those in progress)."""
    if pending.next_url and len(pending.next_url) > MAX_NEXT_URL:
        pending = PendingSignIn(**{**asdict(pending), "next_url": None})
    others = sorted(pending_sign_ins(request).values(), key=lambda entry: entry.started)
    _write(response, [*others[-(MAX_PENDING - 1):], pending])


def take(request, state: str) -> PendingSignIn | None:
    """Return the sign-in `state` names if this browser started it and it is still unused.

    The caller must also `forget` it on its response. A state presented a second time
    (an old copy of the cookie) is refused through the shared cache.
    """
    pending = pending_sign_ins(request).get(state) if state else None
    if pending is None:
        return None
    key = "fleetadmin:oidc-state-used:" + hashlib.sha256(state.encode()).hexdigest()
    try:
        first = cache.add(key, 1, timeout=settings.OIDC_SIGN_IN_SECONDS + 60)
    except Exception as error:  # noqa: BLE001 - the cache is an extra guard, not the only one
        # The cookie no longer holds the state after this answer, and the provider
        # accepts its code once: without the cache a copied cookie is still refused there.
        LOGGER.warning("could not mark a single sign-on state as used: %s",
                       type(error).__name__)
        first = True
    return pending if first else None


def forget(response, request, state: str) -> None:
    """Remove `state` from the cookie on `response` (the cookie goes when it is empty)."""
    remaining = [entry for key, entry in pending_sign_ins(request).items() if key != state]
    if remaining:
        _write(response, remaining)
    elif COOKIE_NAME in request.COOKIES:
        response.delete_cookie(COOKIE_NAME, path=cookie_path(),
                               samesite=settings.SESSION_COOKIE_SAMESITE)
        mark_partitioned(response, COOKIE_NAME)


def _write(response, entries: list[PendingSignIn]) -> None:
    value = crypto.encrypt(json.dumps([asdict(entry) for entry in entries],
                                      separators=(",", ":")))
    response.set_cookie(
        COOKIE_NAME, value, max_age=int(settings.OIDC_SIGN_IN_SECONDS), path=cookie_path(),
        secure=settings.SESSION_COOKIE_SECURE, httponly=True,
        samesite=settings.SESSION_COOKIE_SAMESITE,
    )
    mark_partitioned(response, COOKIE_NAME)
