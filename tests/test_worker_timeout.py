"""The web server's worker timeout is above the request's flinkey budget wherever we run it.

A worker killed first answers a bare 500 without our security headers and leaves a write
unconfirmed; the budget (FLINKEY_REQUEST_BUDGET, bounding every whole flinkey exchange)
must run out first, with a few seconds left to render the page that says so.
"""

import re
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR)
# Rendering the "flinkey did not answer in time" page after the budget ran out.
MARGIN = 3.0


def _worker_timeouts(text: str) -> list[float]:
    return [float(value) for value in re.findall(r"gunicorn [^\n]*?--timeout (\d+(?:\.\d+)?)",
                                                 text.replace("\\\n", " "))]


def test_the_readme_and_the_demo_give_workers_longer_than_the_budget():
    budget = settings.FLINKEY_REQUEST_BUDGET
    for path in (ROOT / "README.md", ROOT / "scripts" / "demo"):
        timeouts = _worker_timeouts(path.read_text())
        assert timeouts, f"no gunicorn --timeout in {path.name}"
        for timeout in timeouts:
            assert timeout >= budget + MARGIN, (path.name, timeout, budget)
