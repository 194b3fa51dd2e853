"""No request answers 500: every URL, every form field and query parameter, hostile values.

The URLs come from the URL configuration (get_resolver()); the query parameters from the
ones the views read plus every form's fields; path integers get huge and odd values too:
ids beyond flinkey's int32 and the database's int64, moments in year 1 and 9999, timeline
cursors at both ends. Each role asks (admin, fleet manager, support, and nobody signed
in), rotating over the values; each field of a page's own POST form is also made hostile
in turn with the others as the page filled them (so a value gets past the form's other
checks). With DEBUG off and on. Upstream is the sandbox.
"""

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest
from django import forms
from django.apps import apps
from django.conf import settings
from django.template import PartialTemplate, Template
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from accounts.access import ROLE_ADMIN, ROLE_FLEET_MANAGER, ROLE_SUPPORT
from config.testing import hx, make_user
from fleetadmin.models import UserPreferences
from flinkey_sandbox import DEMO

# Thousands of requests in one test: each of its 8 cases 7-24 s on this 2-core machine at
# load ~1 (2026-12-07, ~2,600 requests in debug-off-routes-1), several times that on a
# loaded one, past the suite's 120 s per test.
pytestmark = [pytest.mark.django_db, pytest.mark.slow, pytest.mark.timeout(600)]

GENERIC = [
    "", "-1", str(2**70), "1e309", "9999-12-31", "0001-01-01", "x" * 3000, "\x00",
    "' OR 1=1 --<script>", "１２３🚗", "a\r\nSet-Cookie: x=y",
]
BOUNDARY = [
    # Ids just beyond flinkey's int32 and beyond the database's int64.
    str(2**31), str(2**63), f"1,{2**31},{2**63}",
    # Moments at both ends of what datetime holds (a zone shift overflows them), the API's
    # own format, and the hour that happens twice in Berlin.
    "0001-01-01T00:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59", "9999-12-31T23:59:59Z",
    "2026-10-25T02:30",
    # Timeline cursors at both ends, and with ids beyond int32 and int64.
    "00010101T000000.000000Z_1", "99991231T235959.9999999Z_2147483647",
    f"20261010T120000.000000Z_{2**31}", f"20261010T120000.000000Z_{2**63}",
]
HOSTILE = GENERIC + BOUNDARY
# What the views read from the query string besides their forms' fields.
QUERY_PARAMS = {"page", "size", "q", "sort", "from", "to", "at", "period", "ids", "start",
                "before", "vin", "car", "user", "action", "since", "until", "next", "sso",
                "state", "code", "error", "language", "hours", "upto", "run", "retry", "all",
                "occurrence", "now", "round"}
PATH_INTS = [0, 2**31, 2**63, 2**70]
PATH_CONVERTERS = {"IntConverter", "FlinkeyIdConverter"}
# Ending the session would turn the rest of the run into anonymous requests.
NO_POST = {"logout", "oidc_logout"}


def _patterns(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            namespace = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _patterns(entry, namespace)
        elif isinstance(entry, URLPattern):
            yield f"{prefix}{entry.name or entry.pattern}", entry


def _our_packages() -> set[str]:
    """Every app of this project (not Django's or a library's): a new app is fuzzed too."""
    return {config.name.split(".")[0] for config in apps.get_app_configs()
            if Path(config.path).resolve().parent == Path(settings.BASE_DIR).resolve()}


def _form_fields() -> set[str]:
    # The URL configuration imports every view and so every form first: a form class not
    # imported yet is no subclass yet. The sweep's first look at a page used to do that,
    # after this list was made: a case that was its worker's first test (xdist's order)
    # left out the fields of the forms no earlier test had imported (api_key, brand, ...).
    get_resolver().url_patterns  # noqa: B018 - imports the URLconf
    names, pending, ours = set(), list(forms.Form.__subclasses__()), _our_packages()
    while pending:
        form = pending.pop()
        pending.extend(form.__subclasses__())
        if form.__module__.split(".")[0] in ours:
            names.update(form.base_fields)
    return names


def _path(pattern, value) -> str | None:
    route = str(pattern.pattern)
    converters = pattern.pattern.converters
    if any(type(c).__name__ not in PATH_CONVERTERS for c in converters.values()):
        return None
    for name in converters:
        route = re.sub(rf"<\w+:{name}>", str(value), route)
    return route


class _Names(HTMLParser):
    """The parameter names a page offers: its form fields, and its links' query keys."""

    def __init__(self, path):
        super().__init__()
        self.path, self.names = path, set()
        # The page's own htmx region requests: {(target id, parameter names): query}.
        self.regions: dict[tuple, dict] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("name"):
            self.names.add(attrs["name"])
        hx = urlsplit(attrs.get("hx-get") or "")
        target = (attrs.get("hx-target") or "").removeprefix("#")
        target = attrs.get("id") if target == "this" else target
        if hx.query and hx.path in ("", self.path) and re.fullmatch(r"[\w-]+", target or ""):
            query = dict(parse_qsl(hx.query, keep_blank_values=True))
            self.regions.setdefault((target, tuple(sorted(query))), query)
        for key in ("href", "hx-get", "action"):
            link = urlsplit(attrs.get(key) or "")
            if link.query and link.path in ("", self.path):
                self.names.update(parse_qs(link.query, keep_blank_values=True))


class _PostForm(HTMLParser):
    """The fields of the page's POST forms aimed at the page itself, with their values."""

    def __init__(self, path):
        super().__init__()
        self.path, self.values, self._inside, self._select = path, {}, False, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            action = urlsplit(attrs.get("action") or "")
            self._inside = ((attrs.get("method") or "").lower() == "post"
                            and action.path in ("", self.path))
        if not self._inside or not (name := attrs.get("name")) or name == "csrfmiddlewaretoken":
            if tag == "option" and self._select and "selected" in attrs:
                self.values[self._select] = attrs.get("value") or ""
            return
        if tag == "input" and attrs.get("type") in ("radio", "checkbox"):
            if "checked" in attrs or name not in self.values:
                self.values[name] = attrs.get("value") or "on"
        elif tag == "input":
            self.values[name] = attrs.get("value") or ""
        elif tag == "select":
            self._select = name
            self.values.setdefault(name, "")
        elif tag == "textarea":
            self.values.setdefault(name, "")

    def handle_endtag(self, tag):
        if tag == "form":
            self._inside = False
        elif tag == "select":
            self._select = None


def _page_of(client, url) -> str | None:
    """The page's HTML as the admin sees it, or None (a download, a stream)."""
    response = client.get(url)
    if response.streaming or "html" not in response.get("Content-Type", ""):
        return None
    return response.content.decode(errors="replace")


def _post_form_of(page, url) -> dict[str, str]:
    if page is None:
        return {}
    parser = _PostForm(url)
    parser.feed(page)
    return parser.values


def _params_of(page, url) -> tuple[set[str], dict]:
    """The parameter names the page offers, and its own htmx region requests."""
    if page is None:
        return set(), {}
    parser = _Names(url)
    parser.feed(page)
    return parser.names - {"csrfmiddlewaretoken"}, parser.regions


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


def _render_as_in_production(self, context):
    # Django's own Template._render, which the test environment replaces.
    return self.nodelist.render(context)


@pytest.fixture
def templates_uninstrumented(monkeypatch):
    """Templates render as in production: without the test environment's signal per render.

    The test environment makes every template render send `template_rendered`, and the test
    client answers each by copying the whole context (for response.context): a cost per
    include and partial, spent on contexts the sweep never reads (it reads status codes
    only). It was a third of the sweep while the time-zone select still rendered a template
    per option (fleetadmin.web.widgets.LongSelect). What the views and templates do is
    unchanged.
    """
    monkeypatch.setattr(Template, "_render", _render_as_in_production)
    monkeypatch.setattr(PartialTemplate, "_render", _render_as_in_production)


@pytest.fixture
def clients(flinkey_api):
    people = {
        "admin": make_user("fuzz-admin", role=ROLE_ADMIN),
        "manager": make_user("fuzz-manager", role=ROLE_FLEET_MANAGER),
        "support": make_user("fuzz-support", role=ROLE_SUPPORT),
    }
    result = {}
    for user in people.values():
        # The event form then comes filled in validly: each hostile field reaches the write.
        UserPreferences.objects.update_or_create(user=user,
                                                 defaults={"flinkey_user_id": DEMO.user_id})
    for role, user in people.items():
        client = Client(raise_request_exception=False)
        client.force_login(user)
        result[role] = client
    result["nobody"] = Client(raise_request_exception=False)
    result["admin-user-id"] = people["support"].pk
    return result


# Thousands of requests: minutes on a busy machine. With DEBUG on, Django renders its
# technical 404 page (every URL pattern) for each refused path, so that sweep asks only
# the boundary values; the code paths are the same, the error pages are not.
# The routes are swept in CHUNKS parts (every route in exactly one, by its place in the URL
# configuration), so that the suite's workers share the sweep instead of one of them
# finishing it alone at the end.
CHUNKS = 4


@pytest.mark.timeout(900)
@pytest.mark.parametrize("chunk", range(CHUNKS), ids=lambda chunk: f"routes-{chunk}")
@pytest.mark.parametrize(("debug", "values"), [(False, HOSTILE), (True, BOUNDARY)],
                         ids=["debug-off", "debug-on"])
def test_no_hostile_request_is_answered_500(clients, templates_uninstrumented, settings, debug,
                                            values, chunk):
    settings.DEBUG = debug
    roles = itertools.cycle(["admin", "manager", "support", "nobody"])
    params = sorted(QUERY_PARAMS | _form_fields())
    failures, count = [], 0

    writers = itertools.count()

    def ask(method, url, data, client=None, headers=None):
        nonlocal count
        client = client or clients[next(roles)]
        count += 1
        response = (client.get(url, data, headers=headers) if method == "GET"
                    else client.post(url, data, headers=headers))
        # 502-504 are answers about flinkey (refused, unreachable); 500 is a fault of ours.
        if response.status_code == 500:
            failures.append((method, url, repr(data)[:120], response.status_code))

    for index, (name, prefix, pattern) in enumerate(_routes()):
        if index % CHUNKS != chunk:
            continue
        known_id = DEMO.car_id if "car" in str(pattern.pattern) else clients["admin-user-id"]
        route = _path(pattern, known_id)
        if route is None:
            continue
        url = "/" + prefix + route
        # Every value in every parameter the page offers, one parameter at a time (one
        # invalid field can hide another's crash), then all of them at once.
        # One look at the page (as the admin) gives both its parameters and its POST form.
        page = _page_of(clients["admin"], url)
        own, regions = _params_of(page, url)
        for param, value in itertools.product(sorted(own), values):
            ask("GET", url, {param: value})
        # The page's htmx region requests ("load more" with its cursor, the filters), each
        # parameter hostile in turn: a region is rendered by code the full page skips.
        for (target, names), query in regions.items():
            for param, value in itertools.product(names, values):
                ask("GET", url, {**query, param: value}, client=clients["admin"],
                    headers=hx(target))
        for value in values:
            ask("GET", url, dict.fromkeys(params, value))
            if name not in NO_POST:
                ask("POST", url, dict.fromkeys(params, value))
        # Each field of the page's own POST form hostile in turn, the others as the page
        # filled them in: only then does a value reach the code behind a valid form (a
        # moment in year 1 used to get as far as recording the event). A writer of its
        # own per page: a credentials form may leave it unable to reach flinkey.
        form = _post_form_of(page, url) if name not in NO_POST else {}
        if form:
            writer = Client(raise_request_exception=False)
            writer.force_login(make_user(f"fuzz-writer-{next(writers)}", role=ROLE_ADMIN))
            for field, value in itertools.product(sorted(form), values):
                ask("POST", url, {**form, field: value}, client=writer)
        if pattern.pattern.converters:
            for number in PATH_INTS:
                ask("GET", "/" + prefix + _path(pattern, number), {})
                if name not in NO_POST:
                    # The form as the known id's page filled it: valid but for the id.
                    ask("POST", "/" + prefix + _path(pattern, number),
                        form or {"role": "admin"}, client=clients["admin"])
    assert count > 300 // CHUNKS, count
    assert not failures, failures


def test_the_sweep_has_routes_for_every_chunk():
    assert len(list(_routes())) >= 10 * CHUNKS
