"""Credentials the client cannot send: refused with a clear error, before anything is sent."""

from __future__ import annotations

import pytest

from flinkey import FlinkeyError, InvalidCredentialsFormat, credential_problem
from flinkey_sandbox import DEMO

ZERO_WIDTH_SPACE = "\u200b"


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("api_key", DEMO.api_key, None),
        ("api_key", DEMO.api_key + ZERO_WIDTH_SPACE, "invisible, control or non-ASCII"),
        ("api_key", DEMO.api_key + "é", "non-ASCII"),
        ("api_key", DEMO.api_key[:8] + "\r\nX-Evil: 1", "space or line break"),
        ("api_key", DEMO.api_key[:8] + "\x00", "control"),
        ("api_key", DEMO.api_key[:8] + " " + DEMO.api_key[8:], "space or line break"),
        ("api_key", " " + DEMO.api_key, "starts or ends with a space"),
        ("api_key", DEMO.api_key + "\n", "starts or ends with a space"),
        ("api_key", "", "is empty"),
        ("username", "fleet+ops@example.com", None),
        ("username", "jürgen.müller@example.com", None),
        ("username", "ops" + ZERO_WIDTH_SPACE + "@example.com", "invisible character"),
        ("username", "ops\t@example.com", "control character"),
        ("username", "ops@example.com ", "starts or ends with a space"),
        ("username", "", "is empty"),
        ("password", "p&ss=word+100%", None),
        ("password", "Grüße €🚗", None),
        ("password", "family 👨\u200d👩\u200d👧", None),  # zero-width joiners are fine
        ("password", "", None),
        ("password", "secret" + ZERO_WIDTH_SPACE, "invisible character"),
        ("password", "\ufeffsecret", "invisible character"),
        ("password", "line\nbreak", "line break"),
        ("password", "para\u2029graph", "line break"),
        ("password", "secret ", "starts or ends with a space"),
    ],
)
def test_credential_problem(field, value, reason):
    problem = credential_problem(field, value)
    if reason is None:
        assert problem is None
    else:
        assert reason in problem
        label = {"api_key": "API key", "username": "username", "password": "password"}[field]
        assert problem.startswith(f"The {label} ")
        if value.strip():
            assert value.strip() not in problem  # names the field, never the value


def test_credential_problem_knows_its_fields():
    with pytest.raises(ValueError, match="field"):
        credential_problem("token", "x")
    assert credential_problem("password", None) == "The password must be text."


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("api_key", DEMO.api_key + ZERO_WIDTH_SPACE),
        ("api_key", DEMO.api_key + "\r\n"),
        ("api_key", " " + DEMO.api_key),
        ("username", DEMO.username + "\n"),
        ("password", ZERO_WIDTH_SPACE + DEMO.password),
    ],
)
@pytest.mark.parametrize(
    "call", [lambda c: c.list_cars(), lambda c: c.authenticate()], ids=["list_cars", "token"]
)
def test_the_client_refuses_unsendable_credentials_before_sending(
    make_client, sandbox, field, value, call
):
    client = make_client(**{field: value})
    with pytest.raises(InvalidCredentialsFormat) as caught:
        call(client)
    error = caught.value
    assert isinstance(error, FlinkeyError)
    assert error.status is None and error.field == field
    label = {"api_key": "API key", "username": "username", "password": "password"}[field]
    assert error.message.startswith(f"The {label} contains ")
    for secret in (DEMO.api_key, DEMO.password, DEMO.username):
        assert secret not in repr(error) + str(error)
    assert error.__cause__ is None and error.__context__ is None
    assert sandbox.requests == []


def test_a_handed_in_token_does_not_bypass_the_check(client, make_client, sandbox):
    token = client.authenticate()
    other = make_client(api_key=DEMO.api_key + ZERO_WIDTH_SPACE, token=token)
    sandbox.clear_requests()
    with pytest.raises(InvalidCredentialsFormat):
        other.list_cars()
    assert sandbox.requests == []


def test_surrounding_spaces_in_a_password_are_sent_as_they_are(make_client, sandbox):
    # The client never changes a password; credential_problem only reports the spaces.
    client = make_client(password=DEMO.password + " ")
    with pytest.raises(FlinkeyError) as caught:
        client.list_cars()
    assert not isinstance(caught.value, InvalidCredentialsFormat)
    assert caught.value.status == 400  # invalid_grant: the API saw the trailing space
