"""What one page costs the dashboard itself: its credentials are read and decrypted once."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fleetadmin.models import FlinkeyCredentials
from fleetadmin.secrets import crypto
from fleetadmin.upstream.clients import client_for, credentials_of
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def credential_queries(captured) -> int:
    return sum("fleetadmin_flinkeycredentials" in q["sql"] for q in captured.captured_queries)


def test_the_car_list_reads_and_decrypts_the_credentials_once(manager_client, monkeypatch):
    manager_client.get("/cars/")  # warm-up: the token is fetched and cached
    decrypted = []
    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda value: decrypted.append(1) or real(value))
    with CaptureQueriesContext(connection) as captured:
        response = manager_client.get("/cars/")
    assert response.status_code == 200
    assert DEMO.customer_name in response.content.decode()  # the menu's customer
    assert credential_queries(captured) == 1
    assert len(decrypted) == 4  # three secrets and the cached token


def test_every_call_reads_the_row_again(manager, flinkey_api):
    assert credentials_of(manager).username == DEMO.username
    FlinkeyCredentials.objects.filter(user=manager).update(username="changed-elsewhere")
    assert credentials_of(manager).username == "changed-elsewhere"
    assert manager.flinkey_credentials.username == "changed-elsewhere"


def test_removed_credentials_are_noticed_at_once(manager, flinkey_api):
    client_for(manager)
    FlinkeyCredentials.objects.filter(user=manager).delete()
    from fleetadmin.upstream.clients import CredentialsMissing

    with pytest.raises(CredentialsMissing):
        client_for(manager)


def role_queries(captured) -> int:
    return sum('"auth_group"' in q["sql"] and "auth_user_groups" in q["sql"]
               and "auth_permission" not in q["sql"] for q in captured.captured_queries)


def test_the_role_is_looked_up_once_a_page(manager_client):
    # AccessMiddleware checks it before the view, the header shows it after (accounts.access
    # .request_role): one query, not one each.
    manager_client.get("/cars/")
    with CaptureQueriesContext(connection) as captured:
        response = manager_client.get("/cars/")
    assert response.status_code == 200
    assert 'class="role"' in response.content.decode()
    assert role_queries(captured) == 1


def test_an_admins_car_list_reads_and_decrypts_the_credentials_once(admin_client, monkeypatch):
    # The admins' "fleet sync failed" notice (fleetstore.context) reuses the row the view read.
    admin_client.get("/cars/")
    decrypted = []
    real = crypto.decrypt
    monkeypatch.setattr(crypto, "decrypt", lambda value: decrypted.append(1) or real(value))
    with CaptureQueriesContext(connection) as captured:
        response = admin_client.get("/cars/")
    assert response.status_code == 200
    assert credential_queries(captured) == 1
    assert len(decrypted) == 4  # three secrets and the cached token
