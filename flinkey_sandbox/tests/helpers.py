"""A tiny HTTP client for the contract tests (plain http.client, no project code)."""

import http.client
import json
from dataclasses import dataclass
from urllib.parse import urlencode, urlsplit

from flinkey_sandbox import DEMO

JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
PROBLEM = "application/problem+json; charset=utf-8"
FORM = "application/x-www-form-urlencoded"


@dataclass
class Reply:
    """Status, headers (lower-case names) and body of one answer."""

    status: int
    headers: dict
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


class Api:
    """Sends requests to a started sandbox with the demo headers unless told otherwise."""

    def __init__(self, sandbox):
        self.sandbox = sandbox
        self._token = None

    def raw(self, method, path, body=None, headers=None, timeout=10):
        """One request; path is below /v3 unless it starts with http."""
        parts = urlsplit(self.sandbox.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
        try:
            connection.request(method, parts.path + path, body=body, headers=headers or {})
            response = connection.getresponse()
            return Reply(
                response.status,
                {k.lower(): v for k, v in response.getheaders()},
                response.read(),
            )
        finally:
            connection.close()

    def token(
        self,
        username=DEMO.username,
        password=DEMO.password,
        grant_type="password",
        api_key=DEMO.api_key,
        content_type=FORM,
    ):
        """POST /oauth2/token with a form body."""
        form = urlencode({"username": username, "password": password, "grant_type": grant_type})
        headers = {"flinkey-API-Key": api_key, "Content-Type": content_type}
        return self.raw("POST", "/oauth2/token", form.encode(), headers)

    def access_token(self) -> str:
        """A valid token (fetched once per test)."""
        if self._token is None:
            self._token = self.token().json()["access_token"]
        return self._token

    def call(
        self,
        method,
        path,
        *,
        json_body=None,
        body=None,
        content_type=None,
        customer=DEMO.customer_id,
        token=True,
        api_key=DEMO.api_key,
        headers=None,
        timeout=10,
    ):
        """A resource request with API key, bearer and Customer-ID by default."""
        sent = {}
        if api_key is not None:
            sent["flinkey-API-Key"] = api_key
        if token is True:
            sent["Authorization"] = "Bearer " + self.access_token()
        elif token:
            sent["Authorization"] = "Bearer " + token
        if customer is not None:
            sent["Customer-ID"] = str(customer)
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        sent.update(headers or {})
        return self.raw(method, path, body, sent, timeout=timeout)

    def get(self, path, query=None, **kwargs):
        """GET with optional query parameters (URL-encoded here)."""
        if query:
            path += "?" + urlencode(query)
        return self.call("GET", path, **kwargs)


def assert_text(reply, status, sentence):
    """The API's plain-text error kind with exactly this sentence."""
    assert reply.status == status, (reply.status, reply.text)
    assert reply.content_type == TEXT
    assert reply.text == sentence


def assert_problem_415(reply):
    """The documented problem JSON: string status, trace id, problem content type."""
    assert reply.status == 415
    assert reply.content_type == PROBLEM
    body = reply.json()
    assert body["type"] == "https://tools.ietf.org/html/rfc7231#section-6.5.13"
    assert body["title"] == "Unsupported Media Type"
    assert body["status"] == "415"
    assert isinstance(body["traceId"], str) and body["traceId"]
    assert set(body) == {"type", "title", "status", "traceId"}
