"""Gateway headers, the token request and Customer-ID, as the seed pages and api notes say."""

import pytest

from flinkey_sandbox import DEMO

from .helpers import FORM, JSON, TEXT, assert_problem_415, assert_text

BAD_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
BAD_TOKEN = "Unauthorized. Access token is missing or invalid."
NO_MANAGER = "Unable to find a manager for the given OAuth ID claim data."

RESOURCE_PATHS = [
    ("GET", "/cars"),
    ("GET", f"/cars/{DEMO.car_id}"),
    ("GET", f"/cars/{DEMO.car_id}/products"),
    ("GET", f"/cars/{DEMO.car_id}/location"),
    ("GET", f"/cars/{DEMO.car_id}/location/2026-01-01T00:00:00Z"),
    ("GET", f"/cars/{DEMO.car_id}/events"),
    ("GET", "/events/100001"),
    ("DELETE", f"/cars/{DEMO.car_id}"),
]


def test_token_answers_access_token_with_string_expires_in(api):
    reply = api.token()
    assert reply.status == 200
    assert reply.content_type == JSON
    body = reply.json()
    assert set(body) == {"access_token", "expires_in", "token_type"}
    assert body["expires_in"] == "3600"
    assert body["token_type"] == "Bearer"
    assert isinstance(body["access_token"], str) and len(body["access_token"]) >= 32


def test_tokens_are_random(api):
    assert api.token().json()["access_token"] != api.token().json()["access_token"]


def test_token_lifetime_comes_from_faults(api, sandbox):
    sandbox.faults.token_lifetime = 120
    assert api.token().json()["expires_in"] == "120"


def test_token_expires_after_its_lifetime(api, sandbox):
    sandbox.faults.token_lifetime = 0
    token = api.token().json()["access_token"]
    reply = api.call("GET", "/cars", token=token)
    assert reply.status == 401
    assert reply.json() == {"statusCode": 401, "message": BAD_TOKEN}


@pytest.mark.parametrize(
    "change",
    [
        {"password": "wrong"},
        {"username": "nobody@example.com"},
        {"grant_type": "client_credentials"},
    ],
)
def test_token_refuses_wrong_credentials_with_invalid_grant(api, change):
    reply = api.token(**change)
    assert reply.status == 400
    assert reply.content_type == JSON
    assert reply.json() == {
        "error": "invalid_grant",
        "error_description": "The user name or password is incorrect.",
    }


def test_token_request_needs_form_content_type_else_415(api):
    assert_problem_415(api.token(content_type="application/json"))


def test_token_form_is_url_decoded(api, sandbox):
    # A password with +, & and = must arrive intact when URL-encoded.
    sandbox.store.managers[DEMO.username].password = "p+w&x=y z"
    assert api.token(password="p+w&x=y z").status == 200


def test_token_request_needs_the_api_key(api):
    reply = api.token(api_key="wrong")
    assert reply.status == 401
    assert reply.json() == {"statusCode": 401, "message": BAD_KEY}


@pytest.mark.parametrize(("method", "path"), [*RESOURCE_PATHS, ("GET", "/customers")])
def test_access_denied_due_to_invalid_subscription_key(api, method, path):
    for key in (None, "", "not-the-key"):
        reply = api.call(method, path, api_key=key)
        assert reply.status == 401
        assert reply.content_type == JSON
        assert reply.json() == {"statusCode": 401, "message": BAD_KEY}


@pytest.mark.parametrize(("method", "path"), [*RESOURCE_PATHS, ("GET", "/customers")])
def test_unauthorized_access_token_is_missing_or_invalid(api, method, path):
    for token in (None, "made-up-token"):
        reply = api.call(method, path, token=token)
        assert reply.status == 401
        assert reply.json() == {"statusCode": 401, "message": BAD_TOKEN}


def test_authorization_needs_the_bearer_scheme(api):
    token = api.access_token()
    reply = api.call("GET", "/cars", token=None, headers={"Authorization": "Basic " + token})
    assert reply.json()["message"] == BAD_TOKEN


def test_expire_tokens_invalidates_every_issued_token(api, sandbox):
    assert api.get("/cars").status == 200
    sandbox.expire_tokens()
    reply = api.get("/cars")
    assert reply.status == 401
    assert reply.json()["message"] == BAD_TOKEN
    assert api.get("/cars", token=api.token().json()["access_token"]).status == 200


def test_every_nth_request_with_a_valid_token_revokes_it(api, sandbox):
    sandbox.faults.revoke_token_every = 3
    first = api.token().json()["access_token"]
    assert [api.get("/cars", token=first).status for _ in range(2)] == [200, 200]
    reply = api.get("/cars", token=first)  # the third: refused, and the token is dead
    assert reply.status == 401
    assert reply.json()["message"] == BAD_TOKEN
    # Requests with the dead token are refused without counting; a new token serves two more.
    assert [api.get("/customers", token=first, customer=None).status for _ in range(4)] == [401] * 4
    second = api.token().json()["access_token"]
    assert [api.get("/cars", token=second).status for _ in range(3)] == [200, 200, 401]
    assert sandbox.faults.tokens_revoked == 2
    sandbox.faults.clear()
    third = api.token().json()["access_token"]
    assert {api.get("/cars", token=third).status for _ in range(6)} == {200}


def test_reset_forgets_tokens(api, sandbox):
    token = api.access_token()
    sandbox.reset()
    assert api.get("/cars", token=token).status == 401


@pytest.mark.parametrize(("method", "path"), RESOURCE_PATHS)
def test_unable_to_find_a_manager_for_an_unreachable_customer(api, method, path):
    for customer in (DEMO.hidden_customer_id, 999999):
        assert_text(api.call(method, path, customer=customer), 404, NO_MANAGER)


@pytest.mark.parametrize("customer", [None, "", "abc", "10.5", "99999999999"])
def test_customer_id_missing_or_not_an_integer_is_400(api, customer):
    reply = api.get("/cars", customer=customer)
    assert reply.status == 400
    assert reply.content_type == TEXT
    assert reply.text == "Customer-ID header is missing or invalid."


def test_api_key_is_checked_before_token_and_customer(api):
    reply = api.call("GET", "/cars", api_key="x", token=None, customer=None)
    assert reply.json()["message"] == BAD_KEY
    reply = api.call("GET", "/cars", token=None, customer=None)
    assert reply.json()["message"] == BAD_TOKEN


def test_customers_lists_the_managers_customers_without_customer_id(api):
    reply = api.get("/customers", customer=None)
    assert reply.status == 200
    assert reply.content_type == JSON
    assert reply.json() == [
        {"id": DEMO.customer_id, "name": DEMO.customer_name},
        {"id": DEMO.other_customer_id, "name": DEMO.other_customer_name},
    ]


def test_customers_accepts_odata(api):
    reply = api.get("/customers", {"$filter": "startswith(name,'Hanse')", "$select": "id"})
    assert reply.json() == [{"id": DEMO.other_customer_id}]


def test_other_customer_sees_its_own_fleet(api):
    ours = {c["id"] for c in api.get("/cars").json()}
    theirs = {c["id"] for c in api.get("/cars", customer=DEMO.other_customer_id).json()}
    assert not ours & theirs
    assert DEMO.other_car_id in theirs
    assert len(theirs) == 12


def test_unknown_route_is_404_plain_text(api):
    assert_text(api.get("/trucks"), 404, "Resource not found.")
    assert_text(api.get(f"/cars/{DEMO.car_id}/wheels"), 404, "Resource not found.")


def test_unsupported_method_on_known_route_is_405(api):
    reply = api.call("POST", "/cars", json_body={"name": "x"})
    assert reply.status == 405
    assert reply.content_type == TEXT
    assert "GET" in reply.headers["allow"] and "PUT" in reply.headers["allow"]
    assert api.call("GET", "/oauth2/token").status == 405


def test_form_content_type_constant_matches_what_clients_send():
    assert FORM == "application/x-www-form-urlencoded"
