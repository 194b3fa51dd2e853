"""The one Django-aware place that builds a flinkey client for a user."""

import json
import logging
import secrets
import time
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from fleetadmin.models import FlinkeyCredentials
from fleetadmin.ops import logs
from fleetadmin.secrets import crypto
from fleetadmin.upstream import budget, call_budget, embedded_sandbox
from flinkey import FlinkeyClient, Token

log = logging.getLogger(__name__)

# How often a process waiting for another's token fetch looks into the cache.
_TOKEN_POLL_SECONDS = 0.05

# FLINKEY_API_URL's value that selects the embedded sandbox (the demo); never production.
SANDBOX = "sandbox"


class SetupNeeded(Exception):
    """Nothing can be asked of flinkey until something is set up; says what and where."""

    headline = ""
    advice = ""


class CredentialsMissing(SetupNeeded):
    """The user has not entered (complete) flinkey credentials yet."""

    headline = _("fleetadmin has no flinkey credentials for you yet.")
    advice = _("Enter your flinkey API key, username and password on the Settings page.")


class CustomerNotChosen(SetupNeeded):
    """The user's credentials work, but no customer has been chosen yet."""

    headline = _("You have not chosen a customer yet.")
    advice = _("Choose the customer you work for on the Settings page.")


class ApiNotConfigured(SetupNeeded):
    """FLINKEY_API_URL is empty: the administrator has not said which flinkey to use."""

    headline = _("fleetadmin is not connected to a flinkey API.")
    advice = _("Your administrator has to set FLINKEY_API_URL.")


def api_base_url() -> str:
    """Return the flinkey base URL (with /v3), or the embedded sandbox's for "sandbox".

    Raises ApiNotConfigured when FLINKEY_API_URL is empty: an unset variable in production
    must never quietly serve the sandbox's demo fleet.
    """
    configured = settings.FLINKEY_API_URL.strip()
    if configured == SANDBOX:
        return embedded_sandbox.url()
    if not configured:
        raise ApiNotConfigured
    return configured.rstrip("/")


def credentials_of(user) -> FlinkeyCredentials | None:
    """Return the user's stored credentials (read now, never stale), or None.

    The row is also remembered on this user object, for this request's templates
    (`user.flinkey_credentials.customer_name` in the menu): one query and one decryption of
    the secrets per page instead of two.
    """
    credentials = FlinkeyCredentials.objects.filter(user=user).first()
    if credentials is not None and hasattr(user, "_state"):
        FlinkeyCredentials.user.field.remote_field.set_cached_value(user, credentials)
    return credentials


def client_for(user, *, customer_required: bool = True,
               within: float | None = None) -> FlinkeyClient:
    """Return a client for `user`; raise SetupNeeded (CredentialsMissing, CustomerNotChosen…).

    `within`: its calls (retries included) end within that many seconds, or sooner if the
    request's budget does.
    """
    credentials = credentials_of(user)
    if credentials is None or not credentials.is_complete:
        raise CredentialsMissing
    if customer_required and credentials.customer_id is None:
        raise CustomerNotChosen
    return client_from(credentials, within=within)


@sensitive_variables("credentials")
def client_from(credentials: FlinkeyCredentials, *, within: float | None = None,
                base_url: str | None = None, metered: bool = True) -> FlinkeyClient:
    """Return a client for stored credentials, sharing its token through the cache.

    `credentials`: anything with api_key, username, password and customer_id (a fleet's
    sync credential too); `base_url`: another API than FLINKEY_API_URL's (a stored fleet's).
    Every HTTP request it sends is charged to its user's and its fleet's call budgets
    (fleetadmin.upstream.call_budget) first; a spent budget raises CallBudgetSpent instead. Not
    `metered`: the fleet store's sync, paced by its own per-fleet budget
    (fleetstore.pacing), so background work never spends what interactive pages need.
    """
    seconds = budget.time_left()
    if within is not None:
        seconds = within if seconds is None else min(seconds, within)
    base_url = base_url or api_base_url()
    cache_key = _token_cache_key(base_url, credentials)
    return FlinkeyClient(
        base_url,
        api_key=credentials.api_key,
        username=credentials.username,
        password=credentials.password,
        customer_id=credentials.customer_id,
        token=_cached_token(cache_key),
        # The guard stores each token it fetches (before other processes stop waiting).
        token_guard=lambda fetch, usable: _guarded_fetch(cache_key, fetch, usable),
        on_call=logs.record_upstream_call,
        before_call=call_budget.meter(
            user_id=credentials.user_id, fleet=call_budget.fleet(base_url, credentials.customer_id),
        ) if metered else None,
        timeout=(settings.FLINKEY_CONNECT_TIMEOUT, settings.FLINKEY_READ_TIMEOUT),
        backoff_factor=settings.FLINKEY_RETRY_BACKOFF_SECONDS,
        budget=seconds,
        verify=ca_bundle(),
    )


def call_budget_refusal(user) -> call_budget.CallBudgetSpent | None:
    """Return the refusal of `user`'s (or their fleet's) spent call budget, else None.

    What a screen that fanned out says when some of its calls failed because of it.
    """
    credentials = credentials_of(user)
    if credentials is None:
        return None
    return call_budget.meter(
        user_id=user.pk, fleet=call_budget.fleet(api_base_url(), credentials.customer_id),
    ).refusal()


def ca_bundle() -> bool | str:
    """FLINKEY_CA_BUNDLE as the client's `verify`: the path, or True (system CAs) if empty."""
    return settings.FLINKEY_CA_BUNDLE.strip() or True


def _token_cache_key(base_url: str, credentials: FlinkeyCredentials) -> str:
    # Keyed by an HMAC of the whole account, so changed credentials never reuse a token
    # obtained with the old ones, and the key reveals nothing about them.
    account = "\0".join([base_url, credentials.api_key, credentials.username, credentials.password])
    return "flinkey-token:" + salted_hmac("flinkey-token", account, algorithm="sha256").hexdigest()


def _cached_token(cache_key: str) -> Token | None:
    try:
        stored = cache.get(cache_key)
    except Exception:
        # The shared cache is down: this client fetches its own token (the pages still work).
        log.warning("flinkey token: the cache could not be read", exc_info=True)
        return None
    if stored is None:
        return None
    try:
        return Token.from_dict(json.loads(crypto.decrypt(stored)))
    except (crypto.DecryptionError, ValueError, KeyError, TypeError):
        # A token encrypted under a retired key, or garbage: just ask for a new one.
        cache.delete(cache_key)
        return None


def _store_token(cache_key: str, token: Token) -> None:
    # Encrypted because the cache (Redis) is storage at rest like any other. A failing cache
    # costs only the sharing: the token is still used by this client.
    lifetime = int((token.expires_at - datetime.now(UTC)).total_seconds())
    if lifetime > 0:
        try:
            cache.set(cache_key, crypto.encrypt(json.dumps(token.to_dict())), timeout=lifetime)
        except Exception:
            log.warning("flinkey token: could not share it through the cache", exc_info=True)


def _token_lock_seconds() -> float:
    # As long as one token request may take; a lock left by a dead process expires then.
    return settings.FLINKEY_CONNECT_TIMEOUT + settings.FLINKEY_READ_TIMEOUT + 1


def _guarded_fetch(cache_key: str, fetch, usable) -> Token:
    """Fetch a token under a lock in the shared cache: one token request across instances.

    The process that takes the lock (`cache.add`, atomic in Redis) fetches and stores the
    token; the others poll the cache until it appears. If the lock holder dies or the lock
    outlives its time (or the request's budget), a waiter fetches by itself. A failing cache
    never blocks a fetch. With Redis unreachable (fleetadmin.ops.cache_backend) the cache is a
    stand-in of this process's own: the same lock is then a per-process lock, and the token
    is shared by this process's requests until Redis answers again.
    """
    lock_key = cache_key + ":lock"
    lock_seconds = _token_lock_seconds()
    wait = lock_seconds
    left = budget.time_left()
    if left is not None:
        wait = min(wait, left)
    give_up = time.monotonic() + wait
    owner = secrets.token_hex(8)
    while True:
        try:
            cached = _cached_token(cache_key)
            if usable(cached):
                return cached
            locked = cache.add(lock_key, owner, timeout=max(1, round(lock_seconds)))
        except Exception:
            log.warning("flinkey token lock: the cache failed; fetching without it", exc_info=True)
            return fetch()  # (storing it would fail the same way)
        if locked:
            try:
                # Looked again under the lock: the previous holder may have stored a token
                # and let go between our look above and our taking the lock.
                cached = _cached_token(cache_key)
                if usable(cached):
                    return cached
                token = fetch()
                _store_token(cache_key, token)
                return token
            finally:
                _release(lock_key, owner)
        if time.monotonic() >= give_up:
            log.info("flinkey token lock: waited %.1f s for another instance; fetching", wait)
            token = fetch()
            _store_token(cache_key, token)
            return token
        time.sleep(_TOKEN_POLL_SECONDS)


def _release(lock_key: str, owner: str) -> None:
    try:
        # Only our own lock: after it expired, another process may hold a new one.
        if cache.get(lock_key) == owner:
            cache.delete(lock_key)
    except Exception:
        log.warning("flinkey token lock: could not release it (it expires by itself)",
                    exc_info=True)
