"""Locust users for `benchmarks/load.py`: fleet managers doing a day's mix of work.

Run through `python -m benchmarks.load`, which sets everything up; alone it needs a running
dashboard (`--host`) and LOAD_SESSIONS="sessionid,..." (signed-in sessions of fleet managers,
one per user; made beforehand, as a password check costs ~1 s of CPU by design) or
LOAD_USERS="name:password,..." to log in through the form.

A dashboard answer counts as failed when it is a 500 (ours must never be one) or any other
4xx/5xx, except: 409 (an edit met someone else's, the form says so) and, under upstream
faults (LOAD_FAULTS=1), 502/503/504 *with our problem page* (the page says what happened).
HAProxy's own 503 counts as failed even with our page for it (it is not flinkey's fault).
Status counts per page go to LOAD_STATUS_FILE (JSON) at the end.
"""

import html
import itertools
import json
import os
import random
import re
import uuid
from collections import Counter
from html.parser import HTMLParser

from locust import HttpUser, between, events, task
from locust.stats import StatsError

choice = random.Random().choice  # noqa: S311 - a load mix, not secrets

USERS = [pair.split(":", 1) for pair in os.environ.get("LOAD_USERS", "").split(",") if pair]
SESSIONS = [key for key in os.environ.get("LOAD_SESSIONS", "").split(",") if key]
FAULTS = os.environ.get("LOAD_FAULTS") == "1"
STATUS_FILE = os.environ.get("LOAD_STATUS_FILE")
CREATE_PREFIX = os.environ.get("LOAD_CREATE_PREFIX", "load-")
SEARCHES = ["golf", "m-ab", "tesla", "bmw", "passat", "no-such-car", "e-"]
HTMX_TABLE = {"HX-Request": "true", "HX-Target": "car-table"}
# The timeline's sentinel row: htmx asks for its hx-get (the next page, by cursor) when the
# row scrolls into view, aimed at the row itself.
MORE = re.compile(r'<tr id="timeline-more"[^>]* hx-get="([^"]+)"')
PROBLEM = ('role="alert"', '"problem": {"headline"')  # our page, or the map's JSON
# HAProxy's own 503 (no instance took the request in time), with our page: it says what
# happened, but it is a failure of ours to serve, not flinkey's, and is counted as failed.
LB_PAGE = 'id="lb-unavailable"'
TIMEOUT = 40

_accounts = itertools.cycle(USERS or [("demo", "flinkey-demo")])
_sessions = itertools.cycle(SESSIONS)
statuses: Counter = Counter()  # (page, status) -> count
problem_pages: Counter = Counter()  # status -> answers that carried our problem page
lb_pages: Counter = Counter()  # status -> answers that were HAProxy's page (LB_PAGE)
creates_sent = Counter()


class _Inputs(HTMLParser):
    """The named <input>/<textarea> values of the first form with method=post."""

    def __init__(self):
        super().__init__()
        self.values: dict[str, str] = {}
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input" and attrs.get("name") and attrs.get("type") not in ("submit", "button"):
            if attrs.get("type") in ("checkbox", "radio") and "checked" not in attrs:
                return
            self.values.setdefault(attrs["name"], attrs.get("value") or "")
        elif tag == "textarea" and attrs.get("name"):
            self._textarea = attrs["name"]
            self.values.setdefault(self._textarea, "")

    def handle_data(self, data):
        if self._textarea:
            self.values[self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


def form_values(html: str) -> dict[str, str]:
    parser = _Inputs()
    parser.feed(html)
    return parser.values


def judge(response, page: str, ok=(200, 302, 409)) -> None:
    """Record the status; mark the answer failed unless it is what a person should see."""
    status = response.status_code
    statuses[(page, status)] += 1
    problem = any(mark in (response.text or "") for mark in PROBLEM)
    if problem and status >= 400:
        problem_pages[status] += 1
    if LB_PAGE in (response.text or ""):
        lb_pages[status] += 1
        response.failure(f"{status} from the load balancer (our page)")
    elif status in ok or (FAULTS and status in (502, 503, 504) and problem):
        response.success()
    else:
        reason = f" ({type(response.error).__name__})" if status == 0 and response.error else ""
        response.failure(f"{status}{' with problem page' if problem else ''}{reason}")


class FleetManager(HttpUser):
    wait_time = between(0.5, 2.0)

    def on_start(self):
        self.car_ids: list[int] = []
        if SESSIONS:
            self.client.cookies.set("sessionid", next(_sessions))
        else:
            self._log_in()
        self.car_list()

    def _log_in(self):
        username, password = next(_accounts)
        login = self.client.get("/login/", name="login form")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
        with self.client.post(
            "/login/", data={"username": username, "password": password,
                             "csrfmiddlewaretoken": token.group(1) if token else ""},
            name="login", allow_redirects=False, catch_response=True, timeout=TIMEOUT,
        ) as response:
            judge(response, "login", ok=(302,))

    def _get(self, url, page, headers=None):
        with self.client.get(url, name=page, headers=headers, catch_response=True,
                             allow_redirects=False, timeout=TIMEOUT) as response:
            judge(response, page, ok=(200,))  # a redirect (to the login) is a failure here
            return response

    def _car(self) -> int:
        return choice(self.car_ids) if self.car_ids else 2001

    @task(5)
    def car_list(self):
        response = self._get(f"/cars/?page={choice([1, 1, 1, 2, 3])}", "car list")
        ids = [int(i) for i in re.findall(r'<tr id="car-row-(\d+)"', response.text or "")]
        if ids:
            self.car_ids = ids

    @task(3)
    def search(self):
        self._get(f"/cars/?q={choice(SEARCHES)}", "search", headers=HTMX_TABLE)

    @task(4)
    def car_page(self):
        self._get(f"/cars/{self._car()}/", "car page")

    @task(3)
    def devices(self):
        self._get(f"/cars/{self._car()}/products/", "devices",
                  headers={"HX-Request": "true"})

    @task(2)
    def car_map(self):
        self._get(f"/cars/{self._car()}/map/", "car map panel")

    @task(2)
    def timeline(self):
        """A car's events as a browser loads them, and the next page when scrolled to."""
        car_id = self._car()
        if choice([True, False]):
            # The timeline page: the car's name and the first page (two upstream calls).
            first = self._get(f"/cars/{car_id}/events/", "timeline")
        else:
            # The car page's events section, fetched when it scrolls into view (one call).
            first = self._get(f"/cars/{car_id}/events/", "car events",
                              headers={"HX-Request": "true", "HX-Target": "car-events"})
        more = MORE.search(first.text or "") if first.status_code == 200 else None
        if more and choice([True, False]):
            # Half the readers scroll past the first 50 events: the sentinel row loads the
            # next page, older than the last row shown (`before=<time>_<id>`).
            self._get(html.unescape(more.group(1)), "timeline more",
                      headers={"HX-Request": "true", "HX-Target": "timeline-more"})

    @task(1)
    def fleet_map(self):
        self._get("/map/", "fleet map")
        self._get("/map/cars/", "fleet map batch",
                  headers={"HX-Request": "true", "HX-Target": "fleet-next"})

    @task(1)
    def edit(self):
        car_id = self._car()
        form = self._get(f"/cars/{car_id}/edit/", "edit form")
        if form.status_code != 200:
            return
        values = form_values(form.text)
        values["description"] = f"checked by load test {uuid.uuid4().hex[:8]}"
        with self.client.post(f"/cars/{car_id}/edit/", data=values, name="edit save",
                              catch_response=True, allow_redirects=False,
                              timeout=TIMEOUT) as response:
            judge(response, "edit save")

    @task(1)
    def create(self):
        form = self._get("/cars/new/", "create form")
        if form.status_code != 200:
            return
        values = form_values(form.text)
        values["name"] = f"{CREATE_PREFIX}{uuid.uuid4().hex[:12]}"
        creates_sent["sent"] += 1
        with self.client.post("/cars/new/", data=values, name="create save",
                              catch_response=True, allow_redirects=False,
                              timeout=TIMEOUT) as response:
            judge(response, "create save")


def _page_stats(entry) -> dict:
    return {
        "name": entry.name, "requests": entry.num_requests, "failures": entry.num_failures,
        "p50": entry.get_response_time_percentile(0.5),
        "p95": entry.get_response_time_percentile(0.95),
        "max": entry.max_response_time or 0, "rps": entry.total_rps,
    }


@events.test_stop.add_listener
def _write_statuses(environment, **_kwargs):
    if not STATUS_FILE:
        return
    # The final numbers, after every user finished: locust's --csv file is a snapshot it
    # rewrites once a second, and misses what the last second answered (failures too).
    stats = environment.stats
    with open(STATUS_FILE, "w") as out:
        json.dump({
            "pages": [_page_stats(entry) for _key, entry in sorted(stats.entries.items())],
            "total": _page_stats(stats.total),
            "failures": [[error.method, error.name, StatsError.parse_error(error.error),
                          error.occurrences]
                         for error in stats.errors.values()],
            "statuses": [[page, status, count] for (page, status), count in statuses.items()],
            "problem_pages": {str(status): count for status, count in problem_pages.items()},
            "lb_pages": {str(status): count for status, count in lb_pages.items()},
            "creates_sent": creates_sent["sent"],
        }, out)
