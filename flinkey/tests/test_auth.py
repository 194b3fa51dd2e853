"""Token handling, headers and secrets: against the sandbox, and a recorder for exact bytes."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import pytest

from flinkey import AuthenticationError, FlinkeyClient, ProtocolError, Token, UnavailableError
from flinkey_sandbox import DEMO

from .conftest import TOKEN_BODY, json_answer, routes

BAD_TOKEN = "Unauthorized. Access token is missing or invalid."
BAD_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)


def token_requests(sandbox) -> int:
    return sandbox.request_count(method="POST", path_prefix="/oauth2/token")


# --- token lifecycle ------------------------------------------------------------------------


def test_token_is_fetched_lazily_and_reused(make_client, sandbox):
    seen: list[Token] = []
    client = make_client(on_token=seen.append)
    assert client.token is None and sandbox.requests == []
    client.list_cars()
    client.get_car(DEMO.car_id)
    client.list_products(DEMO.car_id)
    client.list_customers()
    assert token_requests(sandbox) == 1
    assert seen == [client.token]
    assert client.token.is_fresh()


def test_a_handed_in_token_is_used_without_asking(client, make_client, sandbox):
    token = client.authenticate()
    sandbox.clear_requests()
    seen: list[Token] = []
    other = make_client(token=token, on_token=seen.append)
    other.list_cars()
    assert token_requests(sandbox) == 0 and seen == []
    assert other.token is token


def test_authenticate_always_asks_for_a_new_token(client, sandbox):
    first, second = client.authenticate(), client.authenticate()
    assert first.access_token != second.access_token
    assert client.token is second
    assert token_requests(sandbox) == 2


def test_expires_in_string_sets_the_expiry(client, sandbox):
    sandbox.faults.token_lifetime = 600
    before = datetime.now(UTC)
    token = client.authenticate()
    assert (
        before + timedelta(seconds=599)
        < token.expires_at
        < datetime.now(UTC) + timedelta(seconds=601)
    )


def test_a_token_close_to_expiry_is_renewed_before_the_call(client, make_client, sandbox):
    real = client.authenticate()
    # Still accepted by the sandbox, but within the 60 s margin: renewed before use.
    dying = Token(real.access_token, datetime.now(UTC) + timedelta(seconds=30))
    seen: list[Token] = []
    other = make_client(token=dying, on_token=seen.append)
    sandbox.clear_requests()
    other.list_cars()
    assert token_requests(sandbox) == 1
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 1
    assert other.token.access_token != real.access_token and seen == [other.token]


def test_a_short_token_lifetime_is_not_renewed_before_every_call(client, sandbox):
    sandbox.faults.token_lifetime = 30  # shorter than the 60 s margin: renewed at 7.5 s left
    client.list_cars()
    client.list_cars()
    client.get_car(DEMO.car_id)
    assert token_requests(sandbox) == 1
    assert client.token.lifetime == pytest.approx(30, abs=0.01)
    assert client.token.renewal_margin == pytest.approx(7.5, abs=0.01)


def test_a_token_in_its_last_quarter_of_a_short_life_is_renewed(client, make_client, sandbox):
    sandbox.faults.token_lifetime = 40
    real = client.authenticate()
    now = datetime.now(UTC)
    # 40 s lifetime, 9 s left: inside the 10 s margin (and still accepted by the sandbox).
    aging = Token(
        real.access_token, now + timedelta(seconds=9), issued_at=now - timedelta(seconds=31)
    )
    other = make_client(token=aging)
    sandbox.clear_requests()
    other.list_cars()
    assert token_requests(sandbox) == 1


def test_expired_token_is_renewed_once_and_the_call_repeated(make_client, sandbox):
    seen: list[Token] = []
    client = make_client(on_token=seen.append)
    client.list_cars()
    sandbox.expire_tokens()
    sandbox.clear_requests()
    assert len(client.list_cars()) == 62
    assert [(r.method, r.path, r.status) for r in sandbox.requests] == [
        ("GET", "/cars", 401),
        ("POST", "/oauth2/token", 200),
        ("GET", "/cars", 200),
    ]
    assert len(seen) == 2 and seen[-1] is client.token


@pytest.mark.parametrize(
    ("method", "call", "done"),
    [
        ("PUT", lambda c: c.create_car(name="Nach Ablauf"), 201),
        ("PATCH", lambda c: c.update_car(DEMO.car_id, {"brand": "Opel"}), 204),
        ("DELETE", lambda c: c.delete_car(DEMO.bare_car_id), 204),
    ],
)
def test_a_refused_write_is_repeated_once_after_renewal(client, sandbox, method, call, done):
    client.list_cars()
    cars_before = len(client.list_cars())
    sandbox.expire_tokens()
    sandbox.clear_requests()
    call(client)
    statuses = [r.status for r in sandbox.requests if r.method == method]
    assert statuses == [401, done]
    if method == "PUT":
        assert len(client.list_cars()) == cars_before + 1  # executed exactly once


def test_a_401_that_renewing_does_not_cure_is_raised(client, sandbox):
    client.list_cars()
    sandbox.faults.fail_next("/cars", status=401, count=10)
    sandbox.clear_requests()
    with pytest.raises(AuthenticationError) as caught:
        client.list_cars()
    assert (caught.value.kind, caught.value.status, caught.value.message) == (
        "token",
        401,
        BAD_TOKEN,
    )
    # Renewed MAX_FRUITLESS_RENEWALS times (6), each new token refused too: then it stops.
    assert sandbox.request_count(method="GET", path_prefix="/cars") == 7
    assert token_requests(sandbox) == 6


def test_a_wrong_api_key_is_raised_at_once(make_client, sandbox):
    client = make_client(api_key="0" * 32)
    with pytest.raises(AuthenticationError) as caught:
        client.list_cars()
    assert (caught.value.kind, caught.value.status, caught.value.message) == (
        "api_key",
        401,
        BAD_KEY,
    )
    assert [(r.method, r.path) for r in sandbox.requests] == [("POST", "/oauth2/token")]


@pytest.mark.parametrize(
    "overrides", [{"password": "wrong password"}, {"username": "nobody@example.com"}]
)
def test_wrong_credentials_are_an_authentication_error(make_client, sandbox, overrides):
    client = make_client(**overrides)
    with pytest.raises(AuthenticationError) as caught:
        client.list_cars()
    assert (caught.value.kind, caught.value.status) == ("credentials", 400)
    assert "username or password" in caught.value.message
    assert sandbox.request_count() == 1


def test_on_token_failure_does_not_fail_the_call(make_client, sandbox, caplog):
    def broken(token):
        raise RuntimeError("cache is down")

    client = make_client(on_token=broken)
    with caplog.at_level(logging.WARNING, logger="flinkey"):
        assert len(client.list_cars()) == 62
    assert "on_token" in caplog.text


# --- headers --------------------------------------------------------------------------------


def test_customer_id_goes_only_to_resource_requests(client, sandbox):
    client.list_customers()
    client.list_cars()
    client.get_location(DEMO.car_id)
    assert [(r.path, r.customer_id) for r in sandbox.requests] == [
        ("/oauth2/token", None),
        ("/customers", None),
        ("/cars", DEMO.customer_id),
        (f"/cars/{DEMO.car_id}/location", DEMO.customer_id),
    ]


def recorder_routes():
    return routes(
        {
            ("POST", "/v3/oauth2/token"): json_answer(TOKEN_BODY),
            ("GET", "/v3/customers"): json_answer([{"id": "7", "name": "Kunde"}]),
            ("GET", "/v3/cars"): json_answer([{"id": 1, "name": "Golf"}]),
            ("PUT", "/v3/cars"): json_answer({"id": 5}, status=201),
            ("PATCH", "/v3/cars/1"): (204, {}, b""),
            ("DELETE", "/v3/cars/1"): (204, {}, b""),
        }
    )


def test_exact_headers_on_every_kind_of_request(recorder_client):
    client, server = recorder_client(recorder_routes())
    assert [c.id for c in client.list_customers()] == [7]
    client.list_cars()
    client.create_car(name="Golf")
    client.update_car(1, {"brand": "VW"})
    client.delete_car(1)
    token, customers, cars, put, patch, delete = server.records
    bearer = f"Bearer {TOKEN_BODY['access_token']}"
    for request in server.records:
        assert request.headers["flinkey-api-key"] == "recorder-api-key"
        assert request.headers["user-agent"].startswith("fleetadmin/0.1")
    assert "authorization" not in token.headers and "customer-id" not in token.headers
    assert token.headers["content-type"] == "application/x-www-form-urlencoded"
    assert customers.headers["authorization"] == bearer
    assert "customer-id" not in customers.headers
    for request in (cars, put, patch, delete):
        assert request.headers["authorization"] == bearer
        assert request.headers["customer-id"] == "7"
    for request in (put, patch):
        assert request.headers["content-type"] == "application/json"
    assert "content-type" not in cars.headers and "content-type" not in delete.headers
    assert json.loads(put.body) == {
        "name": "Golf",
        "description": None,
        "vin": None,
        "licensePlate": None,
        "brand": None,
        "model": None,
    }


def test_a_netrc_entry_for_the_api_host_does_not_replace_the_token(
    recorder_client, tmp_path, monkeypatch
):
    # requests fills in Basic credentials from ~/.netrc when a request has no `auth`, over
    # an Authorization header set by hand; a developer's or server's netrc must not win.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login someone password their-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    client, server = recorder_client(recorder_routes())
    client.list_cars()
    assert server.records[-1].headers["authorization"] == f"Bearer {TOKEN_BODY['access_token']}"


def test_update_car_sends_json_patch_operations(recorder_client):
    client, server = recorder_client(recorder_routes())
    client.update_car(
        1,
        {
            "name": "Golf GTI",
            "license_plate": "M-AB 1",
            "description": None,
            "vin": "  ",
            "brand": "VW",
            "model": "",
        },
    )
    assert json.loads(server.records[-1].body) == [
        {"op": "replace", "path": "/name", "value": "Golf GTI"},
        {"op": "replace", "path": "/licensePlate", "value": "M-AB 1"},
        {"op": "remove", "path": "/description"},
        {"op": "remove", "path": "/vin"},
        {"op": "replace", "path": "/brand", "value": "VW"},
        {"op": "remove", "path": "/model"},
    ]


def test_create_event_body(recorder_client):
    client, server = recorder_client(
        routes(
            {
                ("POST", "/v3/oauth2/token"): json_answer(TOKEN_BODY),
                ("PUT", "/v3/events"): json_answer({"id": "12"}, status=201),
            }
        )
    )
    event_id = client.create_event(
        car_id=3,
        user_id=4,
        type="CarClosed",
        utc_date_time=datetime(2026, 7, 1, 10, 0, tzinfo=UTC),
        date_time=datetime(2026, 7, 1, 12, 0),
        user_agent="fleetadmin",
        latitude=48,
        longitude=None,
    )
    assert event_id == 12
    assert json.loads(server.records[-1].body) == {
        "dateTime": "2026-07-01T12:00:00",
        "utcDateTime": "2026-07-01T10:00:00Z",
        "userId": 4,
        "carId": 3,
        "type": "CarClosed",
        "userAgent": "fleetadmin",
        "latitude": 48.0,
        "longitude": None,
    }


@pytest.mark.parametrize(
    "password", ["p&ss=word+100%", "grant_type=client&x=1", "Grüße €🚗 ", "%26%3D", ""]
)
def test_token_request_form_encodes_the_password(recorder_client, password):
    client, server = recorder_client(
        recorder_routes(), username="fleet+ops@example.com", password=password
    )
    client.authenticate()
    form = parse_qs(
        server.records[0].body.decode("ascii"), keep_blank_values=True, strict_parsing=True
    )
    assert form == {
        "username": ["fleet+ops@example.com"],
        "password": [password],
        "grant_type": ["password"],
    }


def test_expires_in_as_a_number_is_accepted(recorder_client):
    client, _ = recorder_client(
        routes(
            {("POST", "/v3/oauth2/token"): json_answer({"access_token": "abc", "expires_in": 90})}
        )
    )
    token = client.authenticate()
    assert timedelta(seconds=85) < token.expires_at - datetime.now(UTC) <= timedelta(seconds=90)


# --- secrets --------------------------------------------------------------------------------


def secrets_of(client: FlinkeyClient) -> list[str]:
    found = [DEMO.api_key, DEMO.password]
    if client.token is not None:
        found.append(client.token.access_token)
    return found


def assert_no_secret(text: str, secrets: list[str]) -> None:
    for secret in secrets:
        assert secret not in text


def test_no_secret_in_repr_or_str_of_client_token_and_errors(make_client, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    client = make_client()
    client.list_cars()
    secrets = secrets_of(client)
    assert_no_secret(repr(client) + str(client), secrets)
    assert_no_secret(repr(client.token) + str(client.token), secrets)
    assert_no_secret(repr(client.token.to_dict().keys()), secrets)

    errors = []
    sandbox.expire_tokens()
    sandbox.faults.fail_next("/cars", status=401, count=10)  # more than renewing cures
    for call in (
        lambda: client.list_cars(),
        lambda: make_client(password="x" + DEMO.password).list_cars(),
        lambda: make_client(api_key=DEMO.api_key[::-1]).list_cars(),
    ):
        with pytest.raises(AuthenticationError) as caught:
            call()
        errors.append(caught.value)
    for error in errors:
        assert_no_secret(repr(error) + str(error) + repr(error.args), secrets)
    assert_no_secret(caplog.text, secrets + ["x" + DEMO.password, DEMO.api_key[::-1]])


def test_an_echoed_secret_is_redacted_from_error_messages(recorder_client):
    def respond(request):
        if request.path.endswith("/oauth2/token"):
            return json_answer(TOKEN_BODY)
        echoed = f"Bad request from key recorder-api-key, token {TOKEN_BODY['access_token']}."
        return 400, {"Content-Type": "text/plain"}, echoed.encode()

    client, _ = recorder_client(respond)
    with pytest.raises(Exception) as caught:
        client.list_cars()
    assert caught.value.message == "Bad request from key ***, token ***."


def test_a_network_error_does_not_chain_the_request(make_client, closed_port):
    # The requests exception holds the prepared token request: its body has the password.
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}/v3")
    with pytest.raises(UnavailableError) as caught:
        client.list_cars()
    assert caught.value.__cause__ is None and caught.value.__context__ is None


# --- Token ----------------------------------------------------------------------------------


def test_token_freshness_margin():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    token = Token("secret", now + timedelta(seconds=120))
    assert token.is_fresh(now)
    assert token.is_fresh(now + timedelta(seconds=59))
    assert not token.is_fresh(now + timedelta(seconds=60))
    assert not token.is_fresh(now, margin=120)
    assert token.is_fresh(now + timedelta(seconds=119), margin=0)


@pytest.mark.parametrize(
    "issued_at", [None, datetime(2026, 1, 1, 9, 0, tzinfo=UTC)], ids=["unknown", "known"]
)
def test_token_round_trips_through_a_dict(issued_at):
    token = Token("secret", datetime(2026, 1, 1, 10, 0, tzinfo=UTC), issued_at=issued_at)
    stored = json.loads(json.dumps(token.to_dict()))
    assert ("issued_at" in stored) is (issued_at is not None)
    assert Token.from_dict(stored) == token


def test_a_token_cached_by_older_code_keeps_the_60_s_margin():
    stored = {"access_token": "secret", "expires_at": "2026-01-01T10:00:00+00:00"}
    token = Token.from_dict(stored)
    assert token.issued_at is None and token.lifetime is None
    assert token.renewal_margin == 60
    now = datetime(2026, 1, 1, 9, 59, 30, tzinfo=UTC)
    assert not token.is_fresh(now)


def test_the_renewal_margin_fits_the_lifetime():
    issued = datetime(2026, 1, 1, tzinfo=UTC)

    def margin(seconds: float) -> float:
        return Token("x", issued + timedelta(seconds=seconds), issued_at=issued).renewal_margin

    assert margin(3600) == 60
    assert margin(240) == 60
    assert margin(120) == 30
    assert margin(30) == 7.5
    assert margin(0) == 0
    token = Token("x", issued + timedelta(seconds=40), issued_at=issued)
    assert token.is_fresh(issued + timedelta(seconds=29))
    assert not token.is_fresh(issued + timedelta(seconds=30))
    assert token.is_fresh(issued + timedelta(seconds=39), margin=0)  # an explicit margin wins


def test_a_token_answer_records_when_it_was_issued():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    token = Token.from_response({"access_token": "abc", "expires_in": "30"}, now=now)
    assert (token.issued_at, token.lifetime) == (now, 30)


@pytest.mark.parametrize("access_token", ["abc\u200b", "abc def", "abc\r\nX: y", "äbc"])
def test_a_token_that_cannot_be_sent_is_a_protocol_error(access_token):
    with pytest.raises(ProtocolError):
        Token.from_response({"access_token": access_token, "expires_in": "30"})


@pytest.mark.parametrize(
    "issued_at", ["2026-01-01", datetime(2026, 1, 1), datetime(2026, 1, 2, tzinfo=UTC)]
)
def test_a_bad_issued_at_is_a_value_error(issued_at):
    with pytest.raises(ValueError):
        Token("x", datetime(2026, 1, 1, 10, 0, tzinfo=UTC), issued_at=issued_at)


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"access_token": "x"},
        {"access_token": "x", "expires_at": "2026-01-01T10:00:00"},
        {"access_token": "", "expires_at": "2026-01-01T10:00:00Z"},
        {"access_token": "x", "expires_at": "soon"},
        {"access_token": "x", "expires_at": "2026-01-01T10:00:00Z", "issued_at": 5},
        {"access_token": "x", "expires_at": "2026-01-01T10:00:00Z", "issued_at": "later"},
    ],
)
def test_token_from_a_bad_dict_is_a_value_error(data):
    with pytest.raises(ValueError):
        Token.from_dict(data)


def test_token_repr_hides_the_secret():
    token = Token("very-secret-token", datetime(2026, 1, 1, tzinfo=UTC))
    assert "very-secret-token" not in repr(token) + str(token)
    assert "2026-01-01" in repr(token)
