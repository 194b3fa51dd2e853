"""The home page: each figure as the store holds it, days in the user's zone, who sees it."""

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.access import ROLE_ADMIN
from config.testing import logged_in, make_user
from fleetstore.models import FleetSync, StoredEvent
from fleetstore.tests.conftest import make_fleet
from flinkey import Event
from overview.tests.conftest import (
    expected_km,
    local_midnight,
    tile_links,
    tiles,
    zone_where_today_is_not_utc_today,
)
from preferences import services as preferences


def test_each_tile_counts_what_the_store_holds(manager_client, synced_store):
    filled = synced_store
    response = manager_client.get("/")

    html = response.content.decode()
    assert response.status_code == 200
    now = timezone.now()
    hours = settings.FLEETADMIN_LEFT_OPEN_HOURS
    current = [car for car in filled.cars if not car["gone"]]

    def last_opened(car, older_than=timedelta(0)):
        return car["last"] is not None and car["last"][0] == Event.OPENED and (
            car["last"][1] < now - older_than)

    expected = {
        "cars": len(current),
        "located": sum(1 for car in current
                       if car["fix_age"] is not None and car["fix_age"] <= timedelta(hours=1)),
        "silent": sum(1 for car in current if car["has_iq"] and (
            car["fix_age"] is None or car["fix_age"] > timedelta(hours=24))),
        "open": sum(1 for car in current if last_opened(car)),
        "left-open": sum(1 for car in current if last_opened(car, timedelta(hours=hours))),
        "service-ended": sum(1 for car in current
                             if any(end is not None and end <= now for end in car["ends"])),
        "service-ending": sum(1 for car in current if any(
            end is not None and now < end <= now + timedelta(days=30) for end in car["ends"])
            and not any(end is not None and end <= now for end in car["ends"])),
    }
    found = tiles(html)
    assert {name: found[name] for name in expected} == expected
    assert all(expected.values()), f"the data should exercise every tile: {expected}"


def test_events_today_and_the_events_chart_count_days_in_the_users_zone(manager, synced_store):
    filled = synced_store
    zone = zone_where_today_is_not_utc_today(timezone.now())
    preferences.save_preferences(user=manager, time_zone=zone.key)
    today = timezone.now().astimezone(zone).date()
    assert today != timezone.now().date()  # the point of the test
    midnight = local_midnight(today, zone)
    # One event just after the user's midnight, one just before it: "today" and "yesterday"
    # in their zone, whatever day they are in UTC.
    car = filled.fleet.cars.first()
    for offset, event_id in ((timedelta(minutes=1), 1), (timedelta(minutes=-1), 2)):
        StoredEvent.objects.create(fleet=filled.fleet, car=car, event_id=event_id,
                                   type=Event.CLOSED, utc_date_time=midnight + offset,
                                   learnt_at=filled.now)
        filled.events.append((0, Event.CLOSED, midnight + offset))

    html = logged_in(manager).get("/").content.decode()

    def on(day):
        start, end = local_midnight(day, zone), local_midnight(day + timedelta(days=1), zone)
        return [kind for _car, kind, moment in filled.events if start <= moment < end]

    assert tiles(html)["events-today"] == len(on(today))
    charts = json.loads(re.search(r'<script id="overview-charts" type="application/json">(.*?)'
                                  r"</script>", html, re.S).group(1))
    days = [today - timedelta(days=back) for back in range(29, -1, -1)]
    assert charts["events"]["opened"] == [on(day).count(Event.OPENED) for day in days]
    assert charts["events"]["closed"] == [on(day).count(Event.CLOSED) for day in days]
    assert sum(charts["events"]["opened"]) + sum(charts["events"]["closed"]) > 100
    # The table alternative holds the same figures, one row a day, today last.
    table = re.search(r'<table class="data" id="table-events">(.*?)</table>', html, re.S).group(1)
    rows = re.findall(r'<time datetime="([\d-]+)">.*?</time></th><td>(\d+)</td><td>(\d+)</td>',
                      table)
    assert [(day, int(opened), int(closed)) for day, opened, closed in rows] == [
        (day.isoformat(), on(day).count(Event.OPENED), on(day).count(Event.CLOSED))
        for day in days]


def test_kilometres_per_day_this_week_and_last_week_come_from_the_samples(manager,
                                                                          synced_store):
    filled = synced_store
    zone = zone_where_today_is_not_utc_today(timezone.now())
    preferences.save_preferences(user=manager, time_zone=zone.key)

    html = logged_in(manager).get("/").content.decode()

    now = timezone.now()
    today = now.astimezone(zone).date()
    days = [today - timedelta(days=back) for back in range(29, -1, -1)]
    per_day = {day: expected_km(filled, local_midnight(day - timedelta(days=2), zone),
                                local_midnight(day, zone),
                                min(local_midnight(day + timedelta(days=1), zone), now))
               for day in days}
    charts = json.loads(re.search(r'<script id="overview-charts" type="application/json">(.*?)'
                                  r"</script>", html, re.S).group(1))
    assert charts["km"]["values"] == pytest.approx([round(per_day[day], 1) for day in days],
                                                   abs=0.11)
    monday = today - timedelta(days=today.weekday())
    this_week = sum(km for day, km in per_day.items() if day >= monday)
    last_week = sum(km for day, km in per_day.items()
                    if monday - timedelta(days=7) <= day < monday)
    assert this_week > 0 and last_week > 0, "the data should have kilometres in both weeks"
    assert tiles(html)["km-week"] == round(this_week)
    assert f"Last week: {round(last_week):,} km" in html


def test_settled_days_are_kept_and_the_last_days_asked_again_after_a_run(manager_client,
                                                                          synced_store):
    from fleetstore.models import PositionSample

    def chart(html):
        return json.loads(re.search(r'<script id="overview-charts" type="application/json">'
                                    r"(.*?)</script>", html, re.S).group(1))

    first = chart(manager_client.get("/").content.decode())
    # Rewritten history: a settled day (5 days ago) would change, the last two days would too.
    PositionSample.objects.filter(car__fleet=synced_store.fleet).update(odometer=1.0)
    StoredEvent.objects.filter(fleet=synced_store.fleet).delete()

    # No run wrote meanwhile: every day is as it was (what a run writes is all that changes).
    assert chart(manager_client.get("/").content.decode()) == first
    # A sample run: the last days are asked again, the settled ones stay kept.
    FleetSync.objects.filter(pk=synced_store.fleet.pk).update(sampled_at=timezone.now())
    html = manager_client.get("/").content.decode()

    after = chart(html)
    assert after["km"]["values"][:-3] == first["km"]["values"][:-3]
    assert after["events"]["opened"][:-3] == first["events"]["opened"][:-3]
    assert after["km"]["values"][-2:] == [0, 0] and after["events"]["opened"][-2:] == [0, 0]
    assert first["events"]["opened"][-2:] != [0, 0]
    assert tiles(html)["events-today"] == 0


def test_each_tile_leads_to_its_cars_or_report(manager_client, synced_store):
    html = manager_client.get("/").content.decode()
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())

    assert tile_links(html) == {
        "cars": "/cars/",
        "located": "/map/",
        "silent": "/cars/?silent=1",
        "open": "/cars/?state=open",
        "left-open": f"/left-open/?hours={settings.FLEETADMIN_LEFT_OPEN_HOURS}",
        "service-ended": "/cars/?service=ended",
        "service-ending": "/cars/?service=ending",
        "events-today": f"/reports/sessions/?from={today}&to={today}",
        "km-week": f"/reports/mileage/?from={monday - timedelta(days=7)}&to={today}",
    }


def test_the_page_says_how_old_its_data_is_and_offers_the_stores_refresh(manager,
                                                                          synced_store):
    preferences.save_preferences(user=manager, time_zone="America/New_York")

    html = logged_in(manager).get("/").content.decode()

    synced = synced_store.fleet.synced_at.astimezone(ZoneInfo("America/New_York"))
    assert "From the fleet store, as of 1\xa0minute ago." in html
    assert f'datetime="{synced.isoformat()}"' in html
    assert 'action="/fleet-sync/refresh/"' in html


def test_the_figures_take_the_same_few_queries_for_a_bigger_fleet(
        manager_client, synced_store, django_assert_max_num_queries):
    from django.core.cache import cache

    from overview.tests.conftest import fill

    # Nothing kept (every day asked, the user's reach proven again) both times.
    cache.clear()
    with django_assert_max_num_queries(15) as few:
        manager_client.get("/")
    fill(synced_store.fleet, count=60, seed=9, first=1000)  # twice the cars
    cache.clear()

    with django_assert_max_num_queries(len(few.captured_queries)):
        assert manager_client.get("/").status_code == 200


def test_support_sees_the_same_figures(support_client, manager_client, synced_store):
    support = support_client.get("/")

    assert support.status_code == 200
    assert tiles(support.content.decode()) == tiles(manager_client.get("/").content.decode())


def test_in_german(manager, synced_store):
    preferences.save_preferences(user=manager, language="de")

    html = logged_in(manager).get("/").content.decode()

    for text in ("Übersicht", "Fahrzeuge", "In der letzten Stunde geortet", "Jetzt geöffnet",
                 "Service abgelaufen", "Ereignisse heute", "Kilometer diese Woche",
                 "Ereignisse pro Tag", "Als Tabelle zeigen"):
        assert text in html, text
    assert 'lang="de"' in html


def test_without_sync_the_page_says_so_and_counts_the_cars_with_one_call(
        flinkey_api, admin_client, manager_client):
    flinkey_api.clear_requests()
    html = admin_client.get("/").content.decode()

    assert "Fleet sync is off for this customer" in html
    assert 'href="/fleet-sync/"' in html and "Turn it on in Fleet sync" in html
    assert tiles(html) == {"cars": 62}
    assert flinkey_api.request_count(path_prefix="/cars") <= 1
    assert "overview-charts" not in html
    # A fleet manager is told, without the admins' link.
    manager_html = manager_client.get("/").content.decode()
    assert "Fleet sync is off" in manager_html and "Turn it on in Fleet sync" not in manager_html


def test_before_the_first_sync_the_page_says_it_is_on_its_way(flinkey_api, admin_client):
    make_fleet(flinkey_api.url)  # on, never synced

    html = admin_client.get("/").content.decode()

    assert "its first sync has not finished yet" in html and tiles(html) == {"cars": 62}


def test_a_store_turned_off_is_not_shown(flinkey_api, manager_client, synced_store):
    FleetSync.objects.filter(pk=synced_store.fleet.pk).update(enabled=False)

    html = manager_client.get("/").content.decode()

    assert "Fleet sync is off" in html and "tile-open" not in html


def test_without_credentials_the_page_says_what_to_set_up(db, flinkey_api):
    user = make_user("newbie", with_credentials=False)

    response = logged_in(user).get("/")

    assert response.status_code < 500
    assert "Open Settings" in response.content.decode()


def test_signing_in_lands_on_the_home_page(db, flinkey_api, client):
    make_user("fm", role=ROLE_ADMIN)

    response = client.post("/login/", {"username": "fm", "password": "pw-for-tests-1"})

    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_the_page_lives_within_the_strict_csp(manager_client, synced_store):
    from tests.test_csp import Markup, header_nonce

    response = manager_client.get("/")

    nonce = header_nonce(response)
    markup = Markup(response.content.decode())
    data = [script for script in markup.scripts if script.get("type") == "application/json"]
    code = [script for script in markup.scripts if script not in data]
    # The figures travel as data (json_script), never as code; every script is a static
    # file with this response's nonce: Chart.js and the one script that draws the charts.
    assert [script.get("id") for script in data] == ["overview-charts"]
    assert all("src" not in script for script in data)
    assert all(script.get("nonce") == nonce and script["src"].startswith("/static/")
               for script in code)
    sources = {script["src"] for script in code}
    assert {"/static/vendor/chartjs/chart.umd.min.js", "/static/js/overview.js"} <= sources
    assert markup.handlers == [] and markup.styled == [] and markup.style_tags == 0


def test_the_page_answers_with_the_cache_unreachable(redis_down, manager_client, synced_store):
    response = manager_client.get("/")

    # Nothing kept: every day asked from the store, with the same figures as with a cache.
    assert response.status_code == 200
    assert tiles(response.content.decode())["cars"] == sum(
        1 for car in synced_store.cars if not car["gone"])


def test_each_car_list_tile_counts_what_its_link_lists(manager_client, synced_store):
    html = manager_client.get("/").content.decode()
    found, links = tiles(html), tile_links(html)

    for name in ("cars", "silent", "open", "service-ended", "service-ending"):
        listing = manager_client.get(links[name]).content.decode()
        count = re.search(r'<span id="car-count">(.*?)</span>', listing, re.S).group(1)
        total = re.search(r"of ([\d,]+)", count)
        shown = int(total.group(1).replace(",", "")) if total else 0
        assert (name, shown) == (name, found[name]), count
