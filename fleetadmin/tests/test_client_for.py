"""client_for(): one Django-aware place, tokens shared across requests and processes."""

import pytest
from django.core.cache import cache

from config.testing import make_user
from fleetadmin.secrets import crypto
from fleetadmin.upstream.clients import (
    CredentialsMissing,
    CustomerNotChosen,
    _token_cache_key,
    api_base_url,
    client_for,
)

pytestmark = pytest.mark.django_db


def token_requests(sandbox):
    return sandbox.request_count(method="POST", path_prefix="/oauth2/token")


def test_the_token_is_shared_between_clients(manager, flinkey_api):
    client_for(manager).list_cars()
    client_for(manager).list_cars()  # a new client, as in the next request or another process
    assert token_requests(flinkey_api) == 1


def test_the_cached_token_is_encrypted(manager, flinkey_api):
    client = client_for(manager)
    client.list_cars()
    key = _token_cache_key(api_base_url(), manager.flinkey_credentials)
    stored = cache.get(key)
    assert stored is not None
    assert client.token.access_token not in stored
    assert client.token.access_token in crypto.decrypt(stored)


def test_an_expired_shared_token_is_replaced_once(manager, flinkey_api):
    client_for(manager).list_cars()
    flinkey_api.expire_tokens()
    client_for(manager).list_cars()
    client_for(manager).list_cars()
    assert token_requests(flinkey_api) == 2


def test_changed_credentials_do_not_reuse_the_old_token(manager, flinkey_api):
    client_for(manager).list_cars()
    credentials = manager.flinkey_credentials
    credentials.password = "changed"
    credentials.save()
    from flinkey import AuthenticationError

    with pytest.raises(AuthenticationError):
        client_for(manager).list_cars()


def test_missing_credentials_and_customer_are_explicit(flinkey_api):
    with pytest.raises(CredentialsMissing):
        client_for(make_user("nobody", with_credentials=False))
    with pytest.raises(CustomerNotChosen):
        client_for(make_user("undecided", customer=False))
