"""The one Django-aware place that builds a flinkey client for a user."""

import json
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from fleetadmin import budget, crypto, embedded_sandbox
from fleetadmin.models import FlinkeyCredentials
from flinkey import FlinkeyClient, Token

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


def client_for(user, *, customer_required: bool = True) -> FlinkeyClient:
    """Return a client for `user`; raise SetupNeeded (CredentialsMissing, CustomerNotChosen…)."""
    credentials = credentials_of(user)
    if credentials is None or not credentials.is_complete:
        raise CredentialsMissing
    if customer_required and credentials.customer_id is None:
        raise CustomerNotChosen
    return client_from(credentials)


@sensitive_variables("credentials")
def client_from(credentials: FlinkeyCredentials) -> FlinkeyClient:
    """Return a client for stored credentials, sharing its token through the cache."""
    base_url = api_base_url()
    cache_key = _token_cache_key(base_url, credentials)
    return FlinkeyClient(
        base_url,
        api_key=credentials.api_key,
        username=credentials.username,
        password=credentials.password,
        customer_id=credentials.customer_id,
        token=_cached_token(cache_key),
        on_token=lambda token: _store_token(cache_key, token),
        timeout=(settings.FLINKEY_CONNECT_TIMEOUT, settings.FLINKEY_READ_TIMEOUT),
        budget=budget.time_left(),
        verify=ca_bundle(),
    )


def ca_bundle() -> bool | str:
    """FLINKEY_CA_BUNDLE as the client's `verify`: the path, or True (system CAs) if empty."""
    return settings.FLINKEY_CA_BUNDLE.strip() or True


def _token_cache_key(base_url: str, credentials: FlinkeyCredentials) -> str:
    # Keyed by an HMAC of the whole account, so changed credentials never reuse a token
    # obtained with the old ones, and the key reveals nothing about them.
    account = "\0".join([base_url, credentials.api_key, credentials.username, credentials.password])
    return "flinkey-token:" + salted_hmac("flinkey-token", account, algorithm="sha256").hexdigest()


def _cached_token(cache_key: str) -> Token | None:
    stored = cache.get(cache_key)
    if stored is None:
        return None
    try:
        return Token.from_dict(json.loads(crypto.decrypt(stored)))
    except (crypto.DecryptionError, ValueError, KeyError, TypeError):
        # A token encrypted under a retired key, or garbage: just ask for a new one.
        cache.delete(cache_key)
        return None


def _store_token(cache_key: str, token: Token) -> None:
    # Encrypted because the cache (Redis) is storage at rest like any other.
    lifetime = int((token.expires_at - datetime.now(UTC)).total_seconds())
    if lifetime > 0:
        cache.set(cache_key, crypto.encrypt(json.dumps(token.to_dict())), timeout=lifetime)
