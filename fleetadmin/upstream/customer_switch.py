"""Switching customers in one step: the header's switcher, and a car link of another customer.

The switch itself is preferences.services.choose_customer (checked against /customers,
audited as customer.choose); this module decides what is offered:

- `switcher(user)`: what the header shows, from the kept customer list only
  (fleetadmin.upstream.customer_list) — never a flinkey call on an ordinary page.
- `customer_with_car(user, car_id)`: after flinkey answered 404 for a car, which OTHER
  customer reachable with the same credentials has it (one get_car per other customer,
  within the request's time budget). Only the customer is returned, never the car: its
  data is shown after the switch, when it is the user's customer's car.
- `safe_next(request, url)`: the local page to return to after switching.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.urls import reverse
from django.utils.encoding import iri_to_uri
from django.utils.http import MAX_URL_REDIRECT_LENGTH, url_has_allowed_host_and_scheme
from django.views.decorators.debug import sensitive_variables

from fleetadmin.models import FlinkeyCredentials
from fleetadmin.upstream import budget, customer_list
from fleetadmin.upstream.clients import CredentialsMissing, SetupNeeded, client_from, credentials_of
from flinkey import Customer, FlinkeyError, NotFoundError

log = logging.getLogger(__name__)

# At most this many other customers are asked for a car: each costs one call.
MAX_CUSTOMERS_ASKED = 10
# Not started with less of the request's time budget left (seconds): a get_car that is cut
# short says nothing, and the page still has to answer.
MIN_SECONDS_PER_ASK = 2.0


@dataclass(frozen=True)
class Switcher:
    """The header's customer part: the current name, and the kept list when there is one."""

    current_id: int | None
    current_name: str
    customers: list[Customer] | None  # None: not kept yet (a link to the switch page)

    @property
    def can_switch(self) -> bool:
        """True when the kept list offers another customer (or is not known yet)."""
        return self.customers is None or len(self.customers) > 1


def switcher(user) -> Switcher | None:
    """Return the header's switcher for `user`, or None when there is nothing to show."""
    if not user.is_authenticated:
        return None
    credentials = _credentials(user)
    if credentials is None or not credentials.is_complete:
        return None
    customers = customer_list.cached(credentials)
    if customers is not None and len(customers) <= 1 and credentials.customer_id is None:
        customers = None
    return Switcher(credentials.customer_id, credentials.customer_name, customers)


def _credentials(user) -> FlinkeyCredentials | None:
    # The row read for this request already (credentials_of keeps it on the user), else read.
    try:
        return user.flinkey_credentials
    except FlinkeyCredentials.DoesNotExist:
        return None


def customers_of(user) -> list[Customer]:
    """Return the customers the user's account reaches: kept, else asked (and kept).

    Raises SetupNeeded (CredentialsMissing) or FlinkeyError.
    """
    credentials = credentials_of(user)
    if credentials is None or not credentials.is_complete:
        raise CredentialsMissing
    kept = customer_list.cached(credentials)
    return kept if kept is not None else customer_list.fetch(credentials)


@sensitive_variables("credentials", "other")
def customer_with_car(user, car_id: int) -> Customer | None:
    """Return the other reachable customer that has car `car_id`, or None.

    Asks only when the user's own customer answered 404; stops at the first customer that
    has it, at the first failure other than 404 (flinkey slow or refusing: no more calls),
    and when the request's time budget runs low.
    """
    credentials = credentials_of(user)
    if credentials is None or not credentials.is_complete or credentials.customer_id is None:
        return None
    try:
        customers = customers_of(user)
    except (SetupNeeded, FlinkeyError):
        return None
    others = [c for c in customers if c.id != credentials.customer_id][:MAX_CUSTOMERS_ASKED]
    for customer in others:
        left = budget.time_left()
        if left is not None and left < MIN_SECONDS_PER_ASK:
            break
        # The same account, asking for the other customer: a client of an unsaved copy.
        other = FlinkeyCredentials(
            user_id=credentials.user_id, api_key=credentials.api_key,
            username=credentials.username, password=credentials.password,
            customer_id=customer.id, customer_name=customer.name,
        )
        try:
            client_from(other).get_car(car_id)
        except NotFoundError:
            continue
        except (SetupNeeded, FlinkeyError) as error:
            log.info("looking for car %s at customer %s stopped: %s", car_id, customer.id,
                     type(error).__name__)
            break
        return customer
    return None


def safe_next(request, url: str | None, *, fallback: str | None = None) -> str:
    """Return `url` when it is the path of a page of this site that a redirect may name,
    else `fallback` (the car list).

    A path, never a relative "-1" (django.shortcuts.redirect takes that for a view's name:
    a 500), nor longer than Django lets a Location be (MAX_URL_REDIRECT_LENGTH: a 500).
    """
    if (url and url.startswith("/") and len(iri_to_uri(url)) <= MAX_URL_REDIRECT_LENGTH
            and url_has_allowed_host_and_scheme(
                url, allowed_hosts={request.get_host()}, require_https=request.is_secure())):
        return url
    return fallback or reverse("cars:list")


def header(request) -> dict:
    """Context processor: `customer_switcher` for the header (kept data only, no call)."""
    user = getattr(request, "user", None)
    return {"customer_switcher": switcher(user) if user is not None else None}
