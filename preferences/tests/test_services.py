"""The settings services: what they store, and the audit entries they write with it."""

import pytest

from audit.models import AuditEntry
from config.testing import make_user
from fleetadmin.models import FlinkeyCredentials
from fleetadmin.upstream.clients import CredentialsMissing
from flinkey import AuthenticationError
from flinkey_sandbox import DEMO
from preferences import services

pytestmark = pytest.mark.django_db


SETTINGS_ACTIONS = ("credentials.change", "customer.choose", "preferences.change")


def recorded():
    """The settings changes in the audit log, oldest first, as the services wrote them."""
    return [
        {"user": entry.user, "action": entry.action, "target": entry.target,
         "changes": entry.changes, "customer_id": entry.customer_id}
        for entry in AuditEntry.objects.filter(action__in=SETTINGS_ACTIONS).order_by("id")
    ]


def test_saving_credentials_names_the_changed_fields_never_the_values(flinkey_api):
    user = make_user("kim", with_credentials=False)
    changed = services.save_credentials(
        user=user, values={"api_key": "k-secret", "username": "mgr", "password": "p-secret"})
    assert changed == ["api_key", "username", "password"]
    assert recorded() == [{"user": user, "action": "credentials.change", "target": "",
                           "changes": {"changed": ["api_key", "password", "username"]},
                           "customer_id": None}]
    assert services.save_credentials(user=user, values={"api_key": "", "username": "mgr",
                                                        "password": ""}) == []
    assert len(recorded()) == 1
    assert FlinkeyCredentials.objects.get(user=user).password == "p-secret"


def test_an_administrator_setting_credentials_is_named_with_the_target(admin):
    user = make_user("kim", with_credentials=False)
    services.save_credentials(user=user, by=admin, values={"api_key": "k", "username": "u",
                                                            "password": "p"})
    [entry] = recorded()
    assert (entry["user"], entry["target"]) == (admin, "kim")


def test_preferences_are_announced_only_when_they_change(flinkey_api):
    user = make_user("kim")
    before = services.preferences_of(user=user).time_zone
    assert services.save_preferences(user=user, time_zone="Asia/Tokyo") is True
    assert services.save_preferences(user=user, time_zone="Asia/Tokyo") is False
    assert [s["changes"] for s in recorded()] == [
        {"time_zone": {"before": before, "after": "Asia/Tokyo"}}]


def test_check_connection_lists_the_customers(flinkey_api):
    customers = services.check_connection(user=make_user("kim"))
    assert {c.id for c in customers} >= {DEMO.customer_id, DEMO.other_customer_id}


def test_check_connection_raises_for_missing_or_wrong_credentials(flinkey_api):
    with pytest.raises(CredentialsMissing):
        services.check_connection(user=make_user("new", with_credentials=False))
    user = make_user("kim")
    credentials = FlinkeyCredentials.objects.get(user=user)
    credentials.api_key = "wrong-key"
    credentials.save()
    with pytest.raises(AuthenticationError):
        services.check_connection(user=user)


def test_choosing_a_customer_stores_and_announces_it(flinkey_api):
    user = make_user("kim")
    chosen = services.choose_customer(user=user, customer_id=DEMO.other_customer_id)
    assert (chosen.id, chosen.name) == (DEMO.other_customer_id, DEMO.other_customer_name)
    credentials = FlinkeyCredentials.objects.get(user=user)
    assert (credentials.customer_id, credentials.customer_name) == (
        DEMO.other_customer_id, DEMO.other_customer_name)
    assert recorded()[0]["action"] == "customer.choose"
    assert recorded()[0]["customer_id"] == DEMO.other_customer_id


def test_a_customer_the_manager_cannot_reach_is_refused_with_the_reachable_ones(flinkey_api):
    user = make_user("kim")
    with pytest.raises(services.CustomerUnreachable) as refused:
        services.choose_customer(user=user, customer_id=DEMO.hidden_customer_id)
    assert DEMO.customer_id in {c.id for c in refused.value.customers}
    assert FlinkeyCredentials.objects.get(user=user).customer_id == DEMO.customer_id
    assert recorded() == []


def test_a_change_whose_audit_entry_fails_is_not_stored(flinkey_api, monkeypatch):
    # The entry is written in the change's transaction: no change without its entry.
    user = make_user("kim")
    before = services.preferences_of(user=user).time_zone

    def broken_record(**kwargs):
        raise RuntimeError("audit log unavailable")

    monkeypatch.setattr(services, "record", broken_record)
    with pytest.raises(RuntimeError):
        services.save_preferences(user=user, time_zone="Asia/Tokyo")
    assert services.preferences_of(user=user).time_zone == before
