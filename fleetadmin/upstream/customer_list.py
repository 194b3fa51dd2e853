"""The customers a user's flinkey account reaches, kept briefly per account.

The header's customer switcher is on every page, and listing the customers costs a
`/customers` call; so the list is kept in the shared cache for
FLEETADMIN_REACH_RECHECK_SECONDS, filed under an HMAC of the whole account (API URL, API
key, username AND password), like reach's proof: another account, or the same one with
another password, never reads it. It is written whenever fleetadmin asks `/customers` with
the user's credentials anyway (reach's proof, Test connection, the switch page), so pages
never ask flinkey just for the header: without a kept list the header shows the plain
name and a link to the switch page, which asks.

Only ids and names are kept (what a /customers answer lists), nothing of the credentials.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.utils.crypto import salted_hmac
from django.views.decorators.debug import sensitive_variables

from fleetadmin.models import FlinkeyCredentials
from fleetadmin.upstream.clients import SetupNeeded, api_base_url, client_from
from flinkey import Customer

__all__ = ["cached", "fetch", "remember"]


def remember(credentials: FlinkeyCredentials, customers: list[Customer]) -> None:
    """Keep `customers`, as /customers answered them for these credentials."""
    key = _key(credentials)
    if key is not None:
        rows = [(customer.id, customer.name) for customer in customers]
        cache.set(key, rows, timeout=settings.FLEETADMIN_REACH_RECHECK_SECONDS)


def cached(credentials: FlinkeyCredentials | None) -> list[Customer] | None:
    """Return the kept customers of these credentials, or None when none are kept."""
    if credentials is None or not credentials.is_complete:
        return None
    key = _key(credentials)
    rows = cache.get(key) if key is not None else None
    if rows is None:
        return None
    return [Customer(id=customer_id, name=name) for customer_id, name in rows]


def fetch(credentials: FlinkeyCredentials) -> list[Customer]:
    """Ask flinkey for the customers these credentials reach, and keep the answer.

    Raises FlinkeyError (and ApiNotConfigured).
    """
    customers = client_from(credentials).list_customers()
    remember(credentials, customers)
    return customers


@sensitive_variables("credentials", "account")
def _key(credentials: FlinkeyCredentials) -> str | None:
    try:
        api_url = api_base_url()
    except SetupNeeded:
        return None  # no flinkey configured: nothing was ever listed
    account = "\0".join([api_url, credentials.api_key, credentials.username,
                         credentials.password])
    digest = salted_hmac("fleetadmin-customer-list", account, algorithm="sha256").hexdigest()
    return "customers:" + digest
