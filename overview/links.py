"""Where each tile leads: the car list with one of its filters, a report, another screen.

Report links are built here from the reports' paths rather than with `{% url 'reports:…' %}`:
the reports app may be absent (a deployment without it, or before it is installed), and the
home page must render all the same. When its URL names exist they win.
"""

from datetime import date
from urllib.parse import urlencode

from django.urls import NoReverseMatch, reverse

# URL name in the "reports" namespace → the path its page has under /reports/.
REPORT_PATHS = {
    "service_ends": "service-ends",
    "mileage": "mileage",
    "utilisation": "utilisation",
    "sessions": "sessions",
}


def _with(url: str, params: dict) -> str:
    return f"{url}?{urlencode(params)}" if params else url


def car_list(**filters) -> str:
    """The car list with `filters` (service=ended|ending, state=open, silent=1, iq=none)."""
    return _with(reverse("cars:list"), filters)


def report(name: str, *, start: date, end: date) -> str:
    """The report `name` (a key of REPORT_PATHS) for the days `start`…`end` (inclusive)."""
    try:
        url = reverse(f"reports:{name}")
    except NoReverseMatch:
        url = f"/reports/{REPORT_PATHS[name]}/"
    return _with(url, {"from": start.isoformat(), "to": end.isoformat()})


def left_open(*, hours: int) -> str:
    """The "left open" page at `hours`."""
    return _with(reverse("events:left-open"), {"hours": hours})


def fleet_map() -> str:
    return reverse("maps:fleet")
