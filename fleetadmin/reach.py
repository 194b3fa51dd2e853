"""Which fleet a user's own credentials reach now (placeholder until the trust branch lands).

Placeholder until the trust branch lands: the same interface, proven with one customers
call every time, no caching. The real module proves it with the user's own token, keeps
the proof a few minutes and forgets it when the credentials change.
"""

import hashlib
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from fleetadmin.flinkey import SetupNeeded, api_base_url, client_for


class CustomerUnreachable(SetupNeeded):
    """The user's credentials no longer reach the customer chosen."""

    headline = _("Your flinkey credentials no longer reach the customer chosen.")
    advice = _("Choose the customer you work for on the Settings page.")


@dataclass(frozen=True)
class Fleet:
    """A fleet: one customer at one flinkey API."""

    api_url: str
    customer_id: int

    @property
    def key(self) -> str:
        """Short stable text naming the fleet (for cache keys)."""
        return hashlib.sha256(f"{self.api_url}\0{self.customer_id}".encode()).hexdigest()[:16]


def proven_fleet(user) -> Fleet:
    """Return the fleet `user`'s own credentials reach now; raises SetupNeeded or FlinkeyError."""
    client = client_for(user)
    customer_id = client.customer_id
    if not any(customer.id == customer_id for customer in client.list_customers()):
        raise CustomerUnreachable
    return Fleet(api_url=api_base_url(), customer_id=customer_id)


def forget_proof(user) -> None:
    """Forget what was proven for `user` (nothing is kept by this placeholder)."""
