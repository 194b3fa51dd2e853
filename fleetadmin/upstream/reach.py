"""Which fleet a user's own flinkey credentials reach now: the one access check.

Anything fleetadmin keeps of flinkey's answers (the fan-out's cache, the fleet store) is
kept per fleet — flinkey API + customer — and shared by everyone working for that
customer. Whoever reads it must prove, for this request, that flinkey lets THEM read that
customer: a token obtained with exactly their credentials (API key, username, password, API
URL), and the customer among those that token's `/customers` answer lists. A wrong
password, a key for another account or a customer the account no longer reaches reads
nothing; a cached answer is never served before this check.

    fleet = proven_fleet(request.user)   # or raises: SetupNeeded, AuthenticationError, ...
    cache.get(f"...:{fleet.key}:...")

A proof is remembered for FLEETADMIN_REACH_RECHECK_SECONDS in the shared cache, keyed by an
HMAC of the whole account (password included) and the customer: another password, even for
the same API key and username, never matches it, so changed credentials are checked at
once by themselves. `forget_proof` (called when credentials are saved) also drops the old
account's proof, so everyone still using the old password is checked again at once (a
rotation at flinkey is usually why credentials are saved).

`prove(user)` returns the `Proof` itself: the fleet AND the credentials it was made from,
so the client that fetches (`proof.client()`) asks exactly the customer the fleet names,
even if the user picks another customer meanwhile.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables

from fleetadmin.models import FlinkeyCredentials
from fleetadmin.upstream import customer_list
from fleetadmin.upstream.clients import (
    CredentialsMissing,
    CustomerNotChosen,
    SetupNeeded,
    api_base_url,
    client_from,
    credentials_of,
)
from flinkey import FlinkeyClient

__all__ = ["CustomerOutOfReach", "Fleet", "Proof", "forget_proof", "prove", "proven_fleet"]

log = logging.getLogger(__name__)


class CustomerOutOfReach(SetupNeeded):
    """flinkey accepts the credentials, but their `/customers` no longer lists the customer."""

    # The words of flinkey's own 404 for this (fleetadmin.web.problems), already translated.
    headline = _("Your API manager cannot reach this customer.")
    advice = _("Choose a customer on the Settings page.")


@dataclass(frozen=True)
class Fleet:
    """What cached or stored flinkey data is keyed by: one customer at one flinkey API."""

    api_url: str  # the API base URL incl. /v3
    customer_id: int

    @property
    def key(self) -> str:
        """Short stable text for cache keys: an HMAC of API URL and customer (no readable URL)."""
        text = f"{self.api_url}\0{self.customer_id}"
        return salted_hmac("fleetadmin-fleet", text, algorithm="sha256").hexdigest()[:32]


@dataclass(frozen=True)
class Proof:
    """A fleet the user's credentials were shown to reach, and those credentials (a snapshot)."""

    fleet: Fleet
    credentials: FlinkeyCredentials = field(repr=False, compare=False)

    def client(self, *, within: float | None = None) -> FlinkeyClient:
        """Return a client of exactly the proven credentials and customer (not re-read)."""
        return client_from(self.credentials, within=within)


def proven_fleet(user) -> Fleet:
    """Return the fleet the user's OWN credentials reach now.

    Raises SetupNeeded subclasses when not set up (CredentialsMissing, CustomerNotChosen,
    ApiNotConfigured, CustomerOutOfReach), flinkey.AuthenticationError when flinkey refuses
    the credentials, other FlinkeyError/UnavailableError when flinkey cannot be asked.
    """
    return prove(user).fleet


@sensitive_variables("credentials")
def prove(user) -> Proof:
    """Return the Proof for the user's stored credentials and customer (read once, here)."""
    credentials = credentials_of(user)
    if credentials is None or not credentials.is_complete:
        raise CredentialsMissing
    if credentials.customer_id is None:
        raise CustomerNotChosen
    fleet = Fleet(api_base_url(), credentials.customer_id)
    key = _proof_key(fleet, credentials)
    if cache.get(key) is None:
        _check(credentials, fleet)
        cache.set(key, 1, timeout=settings.FLEETADMIN_REACH_RECHECK_SECONDS)
    return Proof(fleet, credentials)


def forget_proof(user) -> None:
    """Drop the proof of the user's current credentials (call before they change)."""
    # Read without credentials_of, which would also put the old values on `user` for the
    # rest of the request (the caller is about to save new ones).
    credentials = FlinkeyCredentials.objects.filter(user=user).first()
    if credentials is None or not credentials.is_complete or credentials.customer_id is None:
        return
    try:
        fleet = Fleet(api_base_url(), credentials.customer_id)
    except SetupNeeded:
        return  # no API configured: nothing was ever proven
    cache.delete(_proof_key(fleet, credentials))


@sensitive_variables("credentials")
def _check(credentials: FlinkeyCredentials, fleet: Fleet) -> None:
    # The client asks for a token with these credentials (or takes the one cached under an
    # HMAC of exactly these credentials, which flinkey issued for them), then the customers.
    customers = client_from(credentials).list_customers()
    customer_list.remember(credentials, customers)  # for the header's switcher
    if fleet.customer_id not in {customer.id for customer in customers}:
        log.info("flinkey credentials no longer reach the chosen customer %s",
                 fleet.customer_id)
        raise CustomerOutOfReach


@sensitive_variables("credentials", "account")
def _proof_key(fleet: Fleet, credentials: FlinkeyCredentials) -> str:
    # The whole account, password included, and the customer: a wrong password, another
    # key or another customer is another key. An HMAC, so the key shows nothing of them.
    account = "\0".join([fleet.api_url, credentials.api_key, credentials.username,
                         credentials.password, str(fleet.customer_id)])
    return "reach:" + salted_hmac("fleetadmin-reach", account, algorithm="sha256").hexdigest()
