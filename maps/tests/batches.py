"""The fleet map's batches as tests read them: the cars each htmx answer brings (its JSON for
the map's script), where the next batch starts, and the status it writes at the top."""

import json
import re

from config.testing import hx

BATCH_URL = "/map/cars/"


def batch_of(response) -> dict:
    """The data of a batch answer: start, next, total, cars, upstream_calls, last."""
    html = response.content.decode()
    match = re.search(r'<script id="fleet-batch-[^"]*" type="application/json">(.*?)</script>',
                      html, re.S)
    assert match, f"no batch data in {html[:500]!r}"
    return json.loads(match.group(1))


def get_batch(client, query: str = "") -> dict:
    """The batch of `query` (as the page's #fleet-next region asks for it), read."""
    response = client.get(BATCH_URL + (f"?{query}" if query else ""), headers=hx("fleet-next"))
    assert response.status_code == 200, response.content.decode()[:500]
    return batch_of(response)


def next_url(response) -> str | None:
    """Where the answer's #fleet-next region asks for the next batch, or None after the last."""
    match = re.search(r'<div id="fleet-next" hx-get="([^"]+)"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


def all_batches(client, query: str = "") -> list[dict]:
    """Every batch, each from the URL the one before gave (as the page asks them)."""
    url = BATCH_URL + (f"?{query}" if query else "")
    bodies = []
    while url:
        response = client.get(url, headers=hx("fleet-next"))
        assert response.status_code == 200, response.content.decode()[:500]
        bodies.append(batch_of(response))
        url = next_url(response)
    return bodies


def status_text(response) -> str:
    """The status the answer writes at the top of the map (out of band), as plain text."""
    html = response.content.decode()
    start = html.index('<div id="fleet-status"')
    end = html.find('<div hx-swap-oob="beforeend:#fleet-failures">', start)
    return " ".join(re.sub(r"<[^>]+>", " ", html[start:end if end >= 0 else None]).split())
