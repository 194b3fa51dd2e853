"""What the settings pages do: a user's flinkey credentials, customer and preferences.

Keyword-only functions, called by preferences.views (a user's own settings) and the users
page (an administrator setting someone's credentials). Every change writes its audit entry
(audit.recording.record) inside the same transaction: both are stored, or neither.
"""

from collections.abc import Mapping

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from audit.recording import record
from fleetadmin.models import FlinkeyCredentials, UserPreferences
from fleetadmin.upstream import customer_list
from fleetadmin.upstream.clients import client_for, credentials_of
from fleetadmin.upstream.reach import forget_proof
from flinkey import Customer

CREDENTIAL_FIELDS = ("api_key", "username", "password")


class CustomerUnreachable(Exception):
    """The API manager cannot reach the customer asked for; `customers` are those it reaches."""

    def __init__(self, customers: list[Customer]):
        super().__init__("customer not reachable")
        self.customers = customers


def preferences_of(*, user) -> UserPreferences:
    """Return the user's preferences, created with the defaults on first use."""
    preferences, _created = UserPreferences.objects.get_or_create(user=user)
    return preferences


@sensitive_variables("values", "value", "credentials")
def save_credentials(*, user, values: Mapping[str, str], by=None) -> list[str]:
    """Store `values` as `user`'s credentials (blank secrets keep the stored ones).

    `by` is the administrator acting for `user` (None: the user themself). Returns the
    names of the fields that changed, never their values.
    """
    credentials = credentials_of(user) or FlinkeyCredentials(user=user)
    changed = []
    for name in CREDENTIAL_FIELDS:
        value = values.get(name)
        if value and value != getattr(credentials, name):
            setattr(credentials, name, value)
            changed.append(name)
    if changed:
        # New credentials are checked at once anyway: a proof is keyed by an HMAC of the
        # whole account, password included. Forgetting the OLD account's proof makes
        # everyone still using it be checked again at once too (a password rotated at
        # flinkey is the usual reason to save new credentials). Read from the database,
        # so before the new values are saved.
        forget_proof(user)
    with transaction.atomic():
        credentials.save()
        if changed:
            record(
                user=by or user, action="credentials.change",
                target=user.get_username() if by is not None else "",
                changes={"changed": sorted(changed)},
            )
    return changed


# "Leave this preference as it is" where None is a value (no flinkey user id).
KEEP = object()


def save_preferences(*, user, time_zone: str | None = None, language: str | None = None,
                     flinkey_user_id=KEEP) -> bool:
    """Store the user's preferences (validated by the caller); True if one changed.

    None leaves time zone and language as they are (a blank language means the browser's);
    `flinkey_user_id` is kept unless given (None clears it).
    """
    preferences = preferences_of(user=user)
    wanted = {"time_zone": time_zone, "language": language}
    changes = {
        name: {"before": getattr(preferences, name), "after": value}
        for name, value in wanted.items()
        if value is not None and value != getattr(preferences, name)
    }
    if flinkey_user_id is not KEEP and flinkey_user_id != preferences.flinkey_user_id:
        changes["flinkey_user_id"] = {"before": preferences.flinkey_user_id,
                                      "after": flinkey_user_id}
    if not changes:
        return False
    for name, change in changes.items():
        setattr(preferences, name, change["after"])
    with transaction.atomic():
        preferences.save()
        record(user=user, action="preferences.change", changes=changes)
    return True


def check_connection(*, user) -> list[Customer]:
    """Ask flinkey for a fresh token, then the customers the API manager reaches.

    Raises CredentialsMissing or a FlinkeyError.
    """
    client = client_for(user, customer_required=False)
    client.authenticate()
    return _kept(user, client.list_customers())


def list_customers(*, user) -> list[Customer]:
    """Return the customers the user's API manager reaches.

    Raises CredentialsMissing or a FlinkeyError.
    """
    return _kept(user, client_for(user, customer_required=False).list_customers())


def _kept(user, customers: list[Customer]) -> list[Customer]:
    # Kept for the header's switcher (client_for left the credentials read on `user`).
    customer_list.remember(user.flinkey_credentials, customers)
    return customers


def _customer_label(customer_id, name) -> str | None:
    return None if customer_id is None else f"{name} ({customer_id})"


def choose_customer(*, user, customer_id: int, by=None) -> Customer:
    """Store the customer the user works for, after checking the manager reaches it.

    `by` is the administrator choosing for `user` (None: the user themself). Raises
    CredentialsMissing, a FlinkeyError, or CustomerUnreachable.
    """
    customers = list_customers(user=user)
    chosen = next((c for c in customers if c.id == customer_id), None)
    if chosen is None:
        raise CustomerUnreachable(customers)
    credentials = credentials_of(user)
    before = _customer_label(credentials.customer_id, credentials.customer_name)
    after = _customer_label(chosen.id, chosen.name)
    credentials.customer_id, credentials.customer_name = chosen.id, chosen.name
    with transaction.atomic():
        credentials.save(update_fields=["customer_id", "customer_name", "updated_at"])
        record(
            user=by or user, action="customer.choose",
            target=user.get_username() if by is not None else "", customer_id=chosen.id,
            changes={"customer": {"before": before, "after": after}} if before != after else {},
        )
    return chosen
