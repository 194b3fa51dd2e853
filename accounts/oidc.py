"""Corporate single sign-on: OpenID Connect through mozilla-django-oidc.

What is added to the library's defaults, and why:
- the ID token's issuer, audience, expiry and subject are verified (the library checks the
  signature and nonce, but not the audience);
- users are matched by the provider's (issuer, subject), never by e-mail address, so an
  account at the provider cannot take over a local account that shares its address;
- the provider's groups decide the role; nobody gets more than support without a mapped group;
- failures become a failed-login audit entry and the login page, not a 400 or 500 page;
- htmx requests whose sign-on must be renewed navigate the browser instead of swapping;
- endpoints not configured explicitly come from the provider's discovery document, looked
  up when first needed (not at start-up, so a provider outage cannot stop the app).
"""

import hashlib
import logging
import threading
import time
from urllib.parse import urlencode

import jwt
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import get_random_string
from django_htmx.http import HttpResponseClientRedirect
from mozilla_django_oidc import middleware as oidc_middleware
from mozilla_django_oidc import views as oidc_views
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.utils import absolutify, generate_code_challenge

from accounts import oidc_discovery, oidc_state
from accounts.identities import free_username
from accounts.middleware import page_path
from accounts.models import SSOIdentity
from accounts.roles import change_role, role_for_groups
from audit.models import AuditEntry
from audit.recording import record

LOGGER = logging.getLogger(__name__)

# Tolerated clock difference between us and the identity provider, in seconds.
CLOCK_SKEW = 60
DISCOVERY_CACHE_SECONDS = 3600
# Where a sign-in that cannot reach the provider ends: the login page, saying so.
PROVIDER_UNREACHABLE_URL = "/login/?sso=unavailable"

# Setting name → the discovery document's key.
_DISCOVERED = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


class DiscoveryError(ValueError):
    """The provider's discovery document could not be fetched or does not fit."""


def _discovery_key() -> str:
    issuer = settings.OIDC_OP_ISSUER.rstrip("/")
    return "fleetadmin:oidc-discovery:" + hashlib.sha256(issuer.encode()).hexdigest()


def discovery_failure_key() -> str:
    """The cache key under which a failed discovery is remembered for a while."""
    return _discovery_key() + ":failed"


def provider_failure_key() -> str:
    """The cache key under which a token, keys or user-info endpoint's failure is remembered."""
    return _discovery_key() + ":endpoint-failed"


# One fetch per process at a time: the others wait for it (no longer than its own
# timeout) and take its document or its failure, instead of each asking a provider that
# may hang (eight of them held every worker for 10 s) or being told it failed while it
# was merely being fetched (6 of 8 simultaneous clicks on a cold cache were).
_FETCHING = threading.Lock()


class ProviderUnreachable(DiscoveryError):
    """The provider failed recently (remembered), or a fetch in flight did not finish in time."""


def provider_recently_unreachable() -> bool:
    """True while a failure of the provider is remembered (the login page says so)."""
    return bool(settings.OIDC_ENABLED and settings.OIDC_OP_ISSUER and (
        cache.get(discovery_failure_key()) is not None
        or cache.get(provider_failure_key()) is not None))


def discovery() -> dict:
    """Return the issuer's /.well-known/openid-configuration (cached); raise DiscoveryError.

    A failure is remembered for OIDC_DISCOVERY_FAILURE_SECONDS (in the shared cache, so
    every instance backs off), and ProviderUnreachable is raised meanwhile without asking.
    """
    key = _discovery_key()
    document = cache.get(key)
    if document is not None:
        return document
    failed = cache.get(discovery_failure_key())
    if failed is not None:
        raise ProviderUnreachable(f"discovery failed recently: {failed}")
    # The fetch in flight (if any) ends within its timeout; a little more for the caching.
    if not _FETCHING.acquire(timeout=settings.OIDC_DISCOVERY_TIMEOUT + 1):
        raise ProviderUnreachable("discovery by another request did not finish in time")
    try:
        document = cache.get(key)  # fetched meanwhile by the request that held the lock
        if document is not None:
            return document
        failed = cache.get(discovery_failure_key())  # or failed meanwhile
        if failed is not None:
            raise ProviderUnreachable(f"discovery failed recently: {failed}")
        try:
            document = _fetch_discovery()
        except DiscoveryError as error:
            cache.set(discovery_failure_key(), str(error)[:200],
                      settings.OIDC_DISCOVERY_FAILURE_SECONDS)
            raise
        cache.set(key, document, DISCOVERY_CACHE_SECONDS)
        return document
    finally:
        _FETCHING.release()


def _fetch_discovery() -> dict:
    issuer = settings.OIDC_OP_ISSUER.rstrip("/")
    url = issuer + "/.well-known/openid-configuration"
    if not url.startswith(("https://", "http://")):
        raise DiscoveryError(f"OIDC_OP_ISSUER is not an http(s) URL: {issuer!r}")
    try:
        document = oidc_discovery.fetch_json(url, timeout=settings.OIDC_DISCOVERY_TIMEOUT)
    except (OSError, ValueError) as error:
        raise DiscoveryError(f"discovery at {url} failed: {error}") from error
    # OpenID Connect Discovery 4.3: the document must name exactly the issuer asked.
    if not isinstance(document, dict) or document.get("issuer", "").rstrip("/") != issuer:
        raise DiscoveryError(f"discovery at {url} names another issuer")
    missing = [name for name in _DISCOVERED.values() if not document.get(name)]
    if missing:
        raise DiscoveryError(f"discovery at {url} lacks {', '.join(missing)}")
    return document


def end_session_url(request, *, id_token, back_to: str) -> str | None:
    """The provider's end_session_endpoint with our parameters, or None if it has none.

    Never waits for a provider that is down: a failed discovery means no RP logout.
    """
    if not settings.OIDC_ENABLED:
        return None
    try:
        end_session = discovery().get("end_session_endpoint")
    except DiscoveryError as error:
        LOGGER.warning("signing out at the provider skipped: %s", error)
        return None
    if not isinstance(end_session, str) or not end_session.startswith(("https://", "http://")):
        return None
    params = {"post_logout_redirect_uri": back_to, "client_id": settings.OIDC_RP_CLIENT_ID}
    if id_token:
        params["id_token_hint"] = id_token
    separator = "&" if "?" in end_session else "?"
    return end_session + separator + urlencode(params)


def endpoint(setting: str) -> str:
    """Return an OIDC_OP_*_ENDPOINT: configured explicitly, else from discovery."""
    return getattr(settings, setting, "") or discovery()[_DISCOVERED[setting]]


def _lazy(setting: str):
    """A class attribute that looks the endpoint up when read; the library's __init__
    assigns it once, which is ignored (settings may change, discovery may be unavailable)."""
    return property(lambda self: endpoint(setting), lambda self, value: None)


def _from_settings(setting: str, default=None):
    return property(lambda self: getattr(settings, setting, default), lambda self, value: None)


def provider_failed_recently() -> bool:
    """True while a token, keys or user-info endpoint's failure to answer is remembered."""
    return cache.get(provider_failure_key()) is not None


def _asking_provider(call):
    """Run `call` (one request to the provider); remember the provider's failure to answer.

    Remembered for OIDC_PROVIDER_FAILURE_SECONDS in the shared cache, as discovery's
    failures are: meanwhile no request of any instance waits OIDC_TIMEOUT for it again.
    """
    if provider_failed_recently():
        raise ProviderUnreachable("the identity provider failed to answer recently")
    try:
        return call()
    except OSError as error:  # the HTTP client's errors
        if oidc_discovery.provider_is_down(error):
            _remember_provider_failure(error)
        raise


def _remember_provider_failure(error) -> None:
    reason = f"{type(error).__name__}"[:200]
    LOGGER.error("the identity provider did not answer (%s); single sign-on is paused for "
                 "%s s", reason, settings.OIDC_PROVIDER_FAILURE_SECONDS)
    cache.set(provider_failure_key(), reason, settings.OIDC_PROVIDER_FAILURE_SECONDS)


class OIDCBackend(OIDCAuthenticationBackend):
    """Authorization code flow with PKCE; users keyed by (issuer, subject); roles from groups."""

    sign_in_method = "sso"  # as the audit log's sign-in entries name it

    OIDC_OP_TOKEN_ENDPOINT = _lazy("OIDC_OP_TOKEN_ENDPOINT")
    OIDC_OP_USER_ENDPOINT = _lazy("OIDC_OP_USER_ENDPOINT")
    OIDC_OP_JWKS_ENDPOINT = _lazy("OIDC_OP_JWKS_ENDPOINT")
    OIDC_RP_CLIENT_ID = _from_settings("OIDC_RP_CLIENT_ID")
    OIDC_RP_CLIENT_SECRET = _from_settings("OIDC_RP_CLIENT_SECRET")
    OIDC_RP_SIGN_ALGO = _from_settings("OIDC_RP_SIGN_ALGO", "RS256")
    OIDC_RP_IDP_SIGN_KEY = _from_settings("OIDC_RP_IDP_SIGN_KEY")

    def __init__(self, *args, **kwargs):
        # Not the library's __init__: it reads (and so would discover) the endpoints, and
        # every password login instantiates every backend.
        self.UserModel = get_user_model()

    def authenticate(self, request, **kwargs):
        # Only the callback view passes nonce and code_verifier. A password login (or
        # anything else) that happens to carry ?code=&state= must not start a token
        # exchange that skipped the state, nonce and PKCE checks.
        if not settings.OIDC_ENABLED or request is None:
            return None
        if "nonce" not in kwargs or "code_verifier" not in kwargs:
            return None
        if not kwargs["nonce"] or (settings.OIDC_USE_PKCE and not kwargs["code_verifier"]):
            return None
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, jwt.InvalidTokenError, OSError, ValueError, KeyError) as error:
            # OSError covers the HTTP client's errors (timeouts, refused connections, 4xx/5xx
            # from the provider). The reason goes to the log and the audit entry; it never
            # contains a token (PyJWT's and our messages name claims, not values).
            reason = f"{type(error).__name__}: {error}"[:500]
            LOGGER.warning("single sign-on refused: %s", reason)
            request._fleetadmin_login_failure = reason
            return None

    # -- the provider's endpoints (a failure to answer is remembered) ----------------

    def get_token(self, payload):
        return _asking_provider(lambda: super(OIDCBackend, self).get_token(payload))

    def get_userinfo(self, access_token, id_token, payload):
        return _asking_provider(lambda: super(OIDCBackend, self).get_userinfo(
            access_token, id_token, payload))

    def retrieve_matching_jwk(self, token):
        return _asking_provider(lambda: super(OIDCBackend, self).retrieve_matching_jwk(token))

    # -- the ID token ----------------------------------------------------------------

    def verify_token(self, token, **kwargs):
        """Check an ID token (alg, signature, iss, aud, exp, iat, sub, nonce); return its claims."""
        if "nonce" not in kwargs:
            # A signed userinfo answer, not an ID token: the library's signature check.
            return super().verify_token(token, **kwargs)
        if not token:
            raise SuspiciousOperation("The token answer has no id_token.")
        if jwt.get_unverified_header(token).get("alg") != self.OIDC_RP_SIGN_ALGO:
            raise SuspiciousOperation("ID token refused: unexpected signing algorithm.")
        try:
            claims = jwt.decode(
                token, self._signing_key(token), algorithms=[self.OIDC_RP_SIGN_ALGO],
                audience=self.OIDC_RP_CLIENT_ID, issuer=settings.OIDC_OP_ISSUER,
                leeway=CLOCK_SKEW, options={"require": ["iss", "aud", "exp", "iat", "sub"]},
            )
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"ID token refused: {error}") from error
        if settings.OIDC_USE_NONCE and claims.get("nonce") != kwargs["nonce"]:
            raise SuspiciousOperation("ID token refused: the nonce does not match.")
        audience = claims["aud"]
        if isinstance(audience, list) and len(audience) > 1 and (
            claims.get("azp") != self.OIDC_RP_CLIENT_ID
        ):
            raise SuspiciousOperation("ID token refused: several audiences and no matching azp.")
        return claims

    def _signing_key(self, token):
        if self.OIDC_RP_SIGN_ALGO.startswith(("RS", "ES", "PS")):
            return self.OIDC_RP_IDP_SIGN_KEY or self.retrieve_matching_jwk(token)
        return self.OIDC_RP_CLIENT_SECRET

    def _verify_jws(self, payload, key):
        # The library lets PyJWT's ExpiredSignatureError and friends escape as a 500.
        try:
            return super()._verify_jws(payload, key)
        except jwt.InvalidTokenError as error:
            raise SuspiciousOperation(f"Token refused: {error}") from error

    # -- users -----------------------------------------------------------------------

    def verify_claims(self, claims):
        return bool(claims.get("sub"))

    def get_or_create_user(self, access_token, id_token, payload):
        """Return the user of (iss, sub), created on first sign-in, with the role of its groups."""
        userinfo = self.get_userinfo(access_token, id_token, payload)
        if userinfo.get("sub") != payload.get("sub"):
            # OpenID Connect Core 5.3.2: the userinfo answer must be about the same person.
            raise SuspiciousOperation("The user info names another subject than the ID token.")
        claims = {**payload, **userinfo}
        if not self.verify_claims(claims):
            raise SuspiciousOperation("Claims verification failed")
        issuer, subject = payload["iss"], payload["sub"]

        with transaction.atomic():
            identity = (
                SSOIdentity.objects.select_related("user")
                .filter(issuer=issuer, subject=subject).first()
            )
            if identity is not None:
                user, created = identity.user, False
            elif self.get_settings("OIDC_CREATE_USER", True):
                # No password: an SSO account never signs in with one of ours.
                user = get_user_model().objects.create_user(
                    free_username(str(claims.get(settings.OIDC_USERNAME_CLAIM)
                                      or claims.get("email") or subject), issuer, subject)
                )
                SSOIdentity.objects.create(user=user, issuer=issuer, subject=subject)
                created = True
            else:
                return None
            self._update_profile(user, claims)
            if created or settings.OIDC_SYNC_ROLES:
                groups = _groups_of(claims)
                role = role_for_groups(
                    groups, admin_groups=settings.OIDC_ADMIN_GROUPS,
                    fleet_manager_groups=settings.OIDC_FLEET_MANAGER_GROUPS,
                    support_groups=settings.OIDC_SUPPORT_GROUPS,
                )
                change_role(user, role, by=None, how="single sign-on groups: "
                            + (", ".join(sorted(groups)) or "none")[:400])
        return user

    @staticmethod
    def _update_profile(user, claims) -> None:
        profile = {
            "email": str(claims.get("email") or "")[:254],
            "first_name": str(claims.get("given_name") or "")[:150],
            "last_name": str(claims.get("family_name") or "")[:150],
        }
        changed = [name for name, value in profile.items() if getattr(user, name) != value]
        for name in changed:
            setattr(user, name, profile[name])
        if changed:
            user.save(update_fields=changed)


def _groups_of(claims) -> list[str]:
    value = claims.get(settings.OIDC_GROUPS_CLAIM) or []
    if isinstance(value, str):
        value = [value]
    return [str(name) for name in value if isinstance(name, str | int)]


def _enabled():
    if not settings.OIDC_ENABLED:
        raise Http404("Single sign-on is not configured.")


def start_sign_in(request, authorization_endpoint: str, *, next_url: str | None,
                  prompt: str | None = None) -> tuple[str, oidc_state.PendingSignIn]:
    """Return the provider's authorization URL for a new sign-in, and what to remember of it.

    State, nonce and PKCE (S256) as mozilla-django-oidc makes them, but kept by the caller
    in the browser's cookie (accounts.oidc_state), never in a session.
    """
    state = get_random_string(32)
    nonce = get_random_string(32)
    code_verifier = get_random_string(64) if settings.OIDC_USE_PKCE else None
    params = {
        "response_type": "code",
        "scope": settings.OIDC_RP_SCOPES,
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "redirect_uri": absolutify(request, reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL)),
        "state": state,
        "nonce": nonce,
    }
    if code_verifier:
        params["code_challenge"] = generate_code_challenge(code_verifier, "S256")
        params["code_challenge_method"] = "S256"
    if prompt:
        params["prompt"] = prompt
    params.update(getattr(settings, "OIDC_AUTH_REQUEST_EXTRA_PARAMS", {}))
    separator = "&" if "?" in authorization_endpoint else "?"
    pending = oidc_state.PendingSignIn(state=state, nonce=nonce, code_verifier=code_verifier,
                                       next_url=next_url, started=oidc_state._now())
    return authorization_endpoint + separator + urlencode(params), pending


class AuthenticationRequestView(oidc_views.OIDCAuthenticationRequestView):
    """Sends the browser to the identity provider (with state, nonce and PKCE challenge).

    Writes nothing on our side: no session, no audit entry (anyone can click this, or a
    script call it a thousand times); what the callback needs goes into a cookie.
    """

    OIDC_OP_AUTH_ENDPOINT = _lazy("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_RP_CLIENT_ID = _from_settings("OIDC_RP_CLIENT_ID")

    def get(self, request):
        _enabled()
        if provider_failed_recently():
            return redirect(PROVIDER_UNREACHABLE_URL)
        try:
            authorization_endpoint = endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except ProviderUnreachable:
            # Already recorded when the fetch failed; anonymous visitors add nothing.
            return redirect(PROVIDER_UNREACHABLE_URL)
        except DiscoveryError as error:
            LOGGER.error("single sign-on unavailable: %s", error)
            record(user=None, action="auth.login_failed",
                   outcome=AuditEntry.Outcome.FAILURE, message=str(error)[:200])
            return redirect(settings.LOGIN_REDIRECT_URL_FAILURE)
        url, pending = start_sign_in(
            request, authorization_endpoint,
            next_url=oidc_views.get_next_url(request, "next"))
        response = HttpResponseRedirect(url)
        oidc_state.remember(response, request, pending)
        return response


# The error codes an authorization response may carry (RFC 6749 4.1.2.1, OpenID Connect
# Core 3.1.2.6); the audit log records one of these or "unrecognised", never the text sent.
PROVIDER_ERROR_CODES = frozenset({
    "invalid_request", "unauthorized_client", "access_denied", "unsupported_response_type",
    "invalid_scope", "server_error", "temporarily_unavailable", "interaction_required",
    "login_required", "account_selection_required", "consent_required",
    "invalid_request_uri", "invalid_request_object", "request_not_supported",
    "request_uri_not_supported", "registration_not_supported",
})


def provider_error(code: str) -> str:
    """Return what the audit log says about the provider's `error` parameter."""
    return code if code in PROVIDER_ERROR_CODES else "unrecognised error code"


class CallbackView(oidc_views.OIDCAuthenticationCallbackView):
    """Where the identity provider sends the browser back with the code.

    Only a callback whose `state` names a sign-in this browser started (in its sign-on
    cookie, accounts.oidc_state) is acted on, once. Anyone can send a link to this URL: a
    callback without such a state writes no audit entry (or the log could be filled by
    anyone, with any text), starts no session and logs nobody out (or a link could end a
    signed-in user's session). The session starts when the sign-in succeeds.
    """

    def get(self, request):
        _enabled()
        state = request.GET.get("state", "")
        self.pending = oidc_state.take(request, state)
        if self.pending is None:
            # A forged or replayed callback, a stale tab, or one left too long at the
            # provider: nothing happens.
            LOGGER.info("ignored a single sign-on callback that no sign-in in this "
                        "browser started")
            return redirect(self.failure_url)
        response = self._answer(request)
        oidc_state.forget(response, request, state)
        return response

    def _answer(self, request):
        if request.GET.get("error"):
            # As the library does: a failed renewal (prompt=none) ends the session.
            if request.user.is_authenticated:
                auth.logout(request)
            return self.login_failure()
        if "code" not in request.GET:
            return self.login_failure()
        if provider_failed_recently():
            # Told at once, as the failure that started the pause was recorded.
            return redirect(PROVIDER_UNREACHABLE_URL)
        try:
            self.user = auth.authenticate(request=request, nonce=self.pending.nonce,
                                          code_verifier=self.pending.code_verifier)
        except SuspiciousOperation as error:
            return self._refused(str(error))
        if self.user and self.user.is_active:
            return self.login_success()
        return self.login_failure()

    @property
    def success_url(self):
        return (self.pending.next_url if self.pending and self.pending.next_url
                else super().success_url)

    def login_failure(self):
        request = self.request
        if request.GET.get("error"):
            # Only logged: `error=` is what the browser brings, and anyone can bring one
            # after a start of their own; an audit entry per such request would let a
            # script fill the log. (A signed-in user whose renewal fails is signed out,
            # which the log records.)
            LOGGER.warning("single sign-on refused: identity provider: %s",
                           provider_error(request.GET["error"]))
            return super().login_failure()
        if getattr(self, "user", None) is not None and not self.user.is_active:
            reason = "account deactivated"
        else:
            reason = "single sign-on refused"
        return self._refused(reason)

    def _refused(self, reason: str):
        # Django's user_login_failed already recorded a refusal by the backend.
        if not getattr(self.request, "_fleetadmin_failure_recorded", False):
            LOGGER.warning("single sign-on refused: %s", reason[:200])
            record(user=None, action="auth.login_failed",
                   outcome=AuditEntry.Outcome.FAILURE, message=reason[:200])
            self.request._fleetadmin_failure_recorded = True
        if not self.request.user.is_authenticated:
            # The backend may have stored the refused sign-in's tokens: no session for them.
            for key in ("oidc_id_token", "oidc_access_token"):
                self.request.session.pop(key, None)
        return super().login_failure()


class SessionRefresh(oidc_middleware.SessionRefresh):
    """Renews the sign-on with the provider; htmx requests navigate instead of swapping.

    As the library's, but the renewal's state goes into the sign-on cookie like every
    other sign-in's (the callback knows no other place).
    """

    OIDC_OP_AUTHORIZATION_ENDPOINT = _lazy("OIDC_OP_AUTHORIZATION_ENDPOINT")
    OIDC_RP_CLIENT_ID = _from_settings("OIDC_RP_CLIENT_ID")

    def process_request(self, request):
        if not self.is_refreshable_url(request):
            return None
        if request.session.get("oidc_id_token_expiration", 0) > time.time():
            return None
        try:
            authorization_endpoint = endpoint("OIDC_OP_AUTHORIZATION_ENDPOINT")
        except DiscoveryError as error:
            # The provider is unreachable: keep the session until it is back.
            LOGGER.error("single sign-on renewal unavailable: %s", error)
            return None
        htmx = getattr(request, "htmx", False)
        # An htmx fragment's URL is no place to come back to: its page is.
        next_url = page_path(request) if htmx else request.get_full_path()
        url, pending = start_sign_in(request, authorization_endpoint, next_url=next_url,
                                     prompt="none")
        if htmx:
            response = HttpResponseClientRedirect(url)
        elif request.headers.get("x-requested-with") == "XMLHttpRequest":
            response = JsonResponse({"refresh_url": url}, status=403)
            response["refresh_url"] = url
        else:
            response = HttpResponseRedirect(url)
        oidc_state.remember(response, request, pending)
        return response
