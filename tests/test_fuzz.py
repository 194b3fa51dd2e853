"""No request answers 500: every URL, every form field and query parameter, hostile values.

The URLs come from the URL configuration (get_resolver()); the query parameters from the
ones the views read plus every form's fields; path integers get huge and odd values too.
Each role asks (admin, fleet manager, support, and nobody signed in), rotating over the
values to stay at a few hundred requests. Upstream is the sandbox.
"""

import itertools
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
from django import forms
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.access import ROLE_ADMIN, ROLE_FLEET_MANAGER, ROLE_SUPPORT
from fleetadmin.testing import make_user
from flinkey_sandbox import DEMO

# Hundreds of requests in one test: 25 s on a quiet machine, several times that on a loaded
# one, past the suite's 120 s per test.
pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.timeout(600)]

HOSTILE = [
    "", "-1", str(2**70), "1e309", "9999-12-31", "0001-01-01", "x" * 3000, "\x00",
    "' OR 1=1 --<script>", "１２３🚗", "a\r\nSet-Cookie: x=y",
]
# What the views read from the query string besides their forms' fields.
QUERY_PARAMS = {"page", "size", "q", "sort", "from", "vin", "car", "user", "action", "since",
                "until", "next", "sso", "state", "code", "error", "language"}
PATH_INTS = [0, 2**63, 2**70]
# Ending the session would turn the rest of the run into anonymous requests.
NO_POST = {"logout", "oidc_logout"}


def _patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, namespace)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name or entry.pattern}", entry


def _form_fields() -> set[str]:
    names, pending = set(), list(forms.Form.__subclasses__())
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.split(".")[0] in {"accounts", "audit", "cars", "events", "fleetadmin"}:
            names.update(form.base_fields)
    return names


def _path(pattern, value) -> str | None:
    route = str(pattern.pattern)
    converters = pattern.pattern.converters
    if any(type(c).__name__ != "IntConverter" for c in converters.values()):
        return None
    for name in converters:
        route = route.replace(f"<int:{name}>", str(value))
    return route


class _Names(HTMLParser):
    """The parameter names a page offers: its form fields, and its links' query keys."""

    def __init__(self, path):
        super().__init__()
        self.path, self.names = path, set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            self.names.add(attrs["name"])
        for key in ("href", "hx-get", "action"):
            link = urlsplit(attrs.get(key) or "")
            if link.query and link.path in ("", self.path):
                self.names.update(parse_qs(link.query, keep_blank_values=True))


def _params_of(client, url) -> set[str]:
    response = client.get(url)
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return set()
    parser = _Names(url)
    parser.feed(response.content.decode(errors="replace"))
    return parser.names - {"csrfmiddlewaretoken"}


def _routes():
    """(name, pattern, route with the int placeholders) for every URL, with its prefix."""
    def walk(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                yield from walk(entry, prefix + str(entry.pattern), inner)
            else:
                yield f"{namespace}{entry.name or entry.pattern}", prefix, entry
    yield from walk(get_resolver(), "", "")


@pytest.fixture
def clients(flinkey_api):
    people = {
        "admin": make_user("fuzz-admin", role=ROLE_ADMIN),
        "manager": make_user("fuzz-manager", role=ROLE_FLEET_MANAGER),
        "support": make_user("fuzz-support", role=ROLE_SUPPORT),
    }
    result = {}
    for role, user in people.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        result[role] = client
    result["nobody"] = Client(raise_request_exception=False)
    result["admin-user-id"] = people["support"].pk
    return result


def test_no_hostile_request_is_answered_500(clients):
    roles = itertools.cycle(["admin", "manager", "support", "nobody"])
    params = sorted(QUERY_PARAMS | _form_fields())
    failures, count = [], 0

    def ask(method, url, data):
        nonlocal count
        client = clients[next(roles)]
        count += 1
        response = (client.get(url, data) if method == "GET"
                    else client.post(url, data))
        # 502-504 are answers about flinkey (refused, unreachable); 500 is a fault of ours.
        if response.status_code == 500:
            failures.append((method, url, repr(data)[:120], response.status_code))

    for name, prefix, pattern in _routes():
        known_id = DEMO.car_id if "car" in str(pattern.pattern) else clients["admin-user-id"]
        route = _path(pattern, known_id)
        if route is None:
            continue
        url = "/" + prefix + route
        # Every value in every parameter the page offers, one parameter at a time (one
        # invalid field can hide another's crash), then all of them at once.
        own = _params_of(clients["admin"], url)
        for param, value in itertools.product(sorted(own), HOSTILE):
            ask("GET", url, {param: value})
        for value in HOSTILE:
            ask("GET", url, dict.fromkeys(params, value))
            if name not in NO_POST:
                ask("POST", url, dict.fromkeys(params, value))
        if pattern.pattern.converters:
            for number in PATH_INTS:
                ask("GET", "/" + prefix + _path(pattern, number), {})
                if name not in NO_POST:
                    ask("POST", "/" + prefix + _path(pattern, number), {"role": "admin"})
    assert count > 300, count
    assert not failures, failures
