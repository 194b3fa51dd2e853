"""The events screens against the realistic sandbox's stories (DEMO names the cars).

They check the reports against what the sandbox promises, not against events the tests wrote
themselves.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest

from config.testing import hx
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def left_open_rows(client, hours):
    html = client.get(f"/left-open/?hours={hours}&run=storyrun{hours}&all=1").content.decode()
    return [int(car) for car in re.findall(r'<tr id="left-open-(\d+)"', html)], html


def test_the_evening_list_names_the_car_left_open_for_two_days(manager_client, flinkey_api):
    # Opened 47 h 53 min before the sandbox's anchor (the hour when the run began), so asked in
    # the run's first 7 minutes past that hour it has been open "1 day" (only the largest unit
    # is said), later "2 days".
    opened_at = flinkey_api.anchor - timedelta(hours=47, minutes=53)
    asked_from = datetime.now(UTC)
    rows, html = left_open_rows(manager_client, 12)
    asked_until = datetime.now(UTC)
    assert rows == [DEMO.left_open_car_id]
    total = len(flinkey_api.store.cars[DEMO.customer_id])
    assert f"{total} of {total} cars checked" in html
    expected = {"1\xa0day" if asked_from - opened_at < timedelta(days=2) else "2\xa0days",
                "1\xa0day" if asked_until - opened_at < timedelta(days=2) else "2\xa0days"}
    open_for = re.search(r'data-label="Open for">([^<]*)</td>', html)
    assert open_for and open_for[1] in expected


def test_shorter_hours_find_the_cars_opened_this_afternoon(manager_client, flinkey_api):
    rows, _html = left_open_rows(manager_client, 3)
    # Longest open first: two days, then 5 h 40 min, then 3 h 20 min (before the anchor).
    expected = [DEMO.left_open_car_id, *DEMO.open_car_ids[::-1]]
    assert [car for car in rows if car in expected] == expected


def test_the_demo_cars_timeline_shows_hostile_agents_as_text(manager_client, flinkey_api):
    html = ""
    url = f"/cars/{DEMO.car_id}/events/"
    for _ in range(40):  # the hostile agent appears "now and then": scroll until it does
        response = manager_client.get(url, headers=hx("timeline-more"))
        html = response.content.decode()
        if "&lt;script&gt;" in html:
            break
        found = re.search(r'<tr id="timeline-more"[^>]*hx-get="([^"]+)"', html)
        assert found, "the hostile agent never appeared"
        url = found[1].replace("&amp;", "&")
    assert "<script>" not in html.split("<tbody", 1)[-1]
    assert "&lt;script&gt;" in html
