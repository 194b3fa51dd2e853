"""The home page: each figure as the store holds it, days in the user's zone, who sees it."""

import json
import re
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.access import ROLE_ADMIN
from config.testing import hx, logged_in, make_user, users_today
from fleetstore.models import FleetSync, StoredEvent
from fleetstore.tests.conftest import make_fleet
from flinkey import Event
from overview.tests.conftest import (
    expected_km,
    local_midnight,
    roll_up,
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
    roll_up(filled.fleet)

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
    roll_up(filled.fleet)

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
    assert 'id="chart-km-began"' not in html  # sync on for months: every day has samples


@pytest.mark.parametrize(("began", "said"), [
    ("this week", "Counted from {this_week}, when fleet sync began"),
    ("last week", "Last week, from {last_week}: "),
])
def test_kilometres_say_where_they_begin_when_fleet_sync_is_new(manager, synced_store,
                                                                 began, said):
    # Fresh from turning sync on, "0 km last week" would be a figure the store never saw.
    zone = ZoneInfo("Europe/Berlin")
    preferences.save_preferences(user=manager, time_zone=zone.key)
    today = timezone.now().astimezone(zone).date()
    monday = today - timedelta(days=today.weekday())
    started = {"this week": local_midnight(monday, zone) + timedelta(minutes=1),
               "last week": local_midnight(monday - timedelta(days=7), zone)
               + timedelta(minutes=1)}[began]
    FleetSync.objects.filter(pk=synced_store.fleet.pk).update(created_at=started)
    roll_up(synced_store.fleet)

    html = logged_in(manager).get("/").content.decode()

    local = started.astimezone(zone).date().isoformat()  # English short dates: Y-m-d
    assert said.format(this_week=local, last_week=local) in html
    assert "Last week: " not in html
    assert (f"Fleet sync began on {local}: the days before it have few or no samples"
            in html)


def chart_of(html):
    return json.loads(re.search(r'<script id="overview-charts" type="application/json">'
                                r"(.*?)</script>", html, re.S).group(1))


def store_asked(queries) -> bool:
    """True when the page asked the store about the days (samples or events: the heavy
    queries), not only the kept rows and the live counts (which join a car's last event)."""
    asked = " ".join(query["sql"] for query in queries.captured_queries)
    return "fleetstore_positionsample" in asked or 'FROM "fleetstore_storedevent"' in asked


def test_after_a_run_the_page_shows_the_newest_roll_up_until_the_runs_own(manager_client,
                                                                           synced_store):
    from fleetstore.models import PositionSample

    first = chart_of(manager_client.get("/").content.decode())
    # Rewritten history: a settled day (5 days ago) would change, the last two days would too.
    PositionSample.objects.filter(car__fleet=synced_store.fleet).update(odometer=1.0)
    StoredEvent.objects.filter(fleet=synced_store.fleet).delete()
    # A sample run; its roll-up has not run yet.
    FleetSync.objects.filter(pk=synced_store.fleet.pk).update(sampled_at=timezone.now())

    with CaptureQueriesContext(connection) as queries:
        html = manager_client.get("/").content.decode()

    # Nothing asked of the store: the days as the newest roll-up has them, and a note.
    assert not store_asked(queries)
    assert chart_of(html) == first
    assert "are from before the fleet store's latest run" in html
    # The run's roll-up: the last days are asked again, the settled ones stay as kept.
    roll_up(synced_store.fleet)
    html = manager_client.get("/").content.decode()
    after = chart_of(html)
    assert after["km"]["values"][:-3] == first["km"]["values"][:-3]
    assert after["events"]["opened"][:-3] == first["events"]["opened"][:-3]
    assert after["km"]["values"][-2:] == [0, 0] and after["events"]["opened"][-2:] == [0, 0]
    assert first["events"]["opened"][-2:] != [0, 0]
    assert tiles(html)["events-today"] == 0
    assert "latest run" not in html


def test_a_zone_without_roll_up_shows_the_tiles_at_once_and_prepares_the_charts(
        manager, synced_store):
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    from overview.models import FleetDay
    from overview.tasks import roll_up_fleet

    preferences.save_preferences(user=manager, time_zone="Asia/Kolkata")
    DBTaskResult.objects.all().delete()  # the roll-up the zone's choice asked for: not run
    client = logged_in(manager)
    client.get("/")  # the reach proven (flinkey calls, then kept); the roll-up enqueued
    DBTaskResult.objects.all().delete()
    cache.delete(f"overview:roll-up-asked:{synced_store.fleet.pk}:Asia/Kolkata")  # a new page

    with CaptureQueriesContext(connection) as queries:
        response = client.get("/")
    html = response.content.decode()

    assert response.status_code == 200
    assert not store_asked(queries)
    assert len(queries.captured_queries) <= 15
    assert "Preparing the charts…" in html and "overview-charts" not in html
    assert 'hx-trigger="load delay:2s"' in html and 'hx-get="/?polls=1"' in html
    found = tiles(html)
    assert found["cars"] == sum(1 for car in synced_store.cars if not car["gone"])
    assert "events-today" not in found and 'id="tile-events-today"' in html
    # The zone's roll-up is enqueued once, not per request (the poll included).
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"]) == (
        "overview.tasks.roll_up_fleet", [synced_store.fleet.pk, "Asia/Kolkata"])
    poll = hx("home-charts")
    with CaptureQueriesContext(connection) as queries:
        fragment = client.get("/?polls=1", headers=poll).content.decode()
    assert not store_asked(queries)
    assert DBTaskResult.objects.count() == 1
    assert fragment.lstrip().startswith('<div id="home-charts"')
    assert 'hx-get="/?polls=2"' in fragment and "tile-cars" not in fragment

    # The worker runs it: the next poll brings the charts and the day tiles (out of band).
    assert roll_up_fleet.call(*task.args_kwargs["args"]) == "rolled up 1 zones"
    assert FleetDay.objects.filter(zone="Asia/Kolkata").count() == 30
    fragment = client.get("/?polls=2", headers=poll).content.decode()
    assert "hx-trigger" not in fragment and "Preparing" not in fragment
    assert len(chart_of(fragment)["labels"]) == 30
    assert re.search(r'hx-swap-oob="true" id="tile-events-today"', fragment)
    assert set(tiles(fragment)) == {"events-today", "km-week"}
    assert tiles(fragment) == {name: value for name, value in
                               tiles(client.get("/").content.decode()).items()
                               if name in ("events-today", "km-week")}


def test_the_poll_stops_after_a_minute_and_says_the_worker_may_not_be_running(
        manager, synced_store):
    preferences.save_preferences(user=manager, time_zone="Asia/Kolkata")
    client = logged_in(manager)
    poll = hx("home-charts")

    still = client.get("/?polls=29", headers=poll).content.decode()
    late = client.get("/?polls=30", headers=poll).content.decode()

    assert 'hx-get="/?polls=30"' in still
    assert "hx-get" not in late and "hx-trigger" not in late
    assert "not ready after 60 seconds" in late and "manage.py db_worker" in late
    # A made-up count is a fresh start, not an error.
    assert 'hx-get="/?polls=1"' in client.get("/?polls=x", headers=poll).content.decode()


def test_a_newest_day_without_roll_up_is_prepared_not_asked_inline(manager_client,
                                                                   synced_store):
    from django_tasks_db.models import DBTaskResult

    from overview.models import FleetDay
    from overview.tasks import roll_up_fleet

    first = chart_of(manager_client.get("/").content.decode())
    DBTaskResult.objects.all().delete()
    today = FleetDay.objects.filter(fleet=synced_store.fleet).latest("day")
    today.delete()  # as just after midnight, before the next run's roll-up

    with CaptureQueriesContext(connection) as queries:
        html = manager_client.get("/").content.decode()

    assert not store_asked(queries)
    assert "Preparing the charts…" in html
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["args"] == [synced_store.fleet.pk, today.zone]
    roll_up_fleet.call(*task.args_kwargs["args"])
    assert chart_of(manager_client.get("/").content.decode()) == first


def test_each_tile_leads_to_its_cars_or_report(manager_client, synced_store):
    html = manager_client.get("/").content.decode()
    today = users_today()
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


@pytest.mark.parametrize(("age", "language", "said"), [
    (timedelta(seconds=20), "en", "From the fleet store, as of just now."),
    (timedelta(days=2, hours=3), "en", "From the fleet store, as of 2 days ago."),
    # German says "vor 2 Tagen" (dative), never timesince's bare "vor 2 Tage".
    (timedelta(days=2, hours=3), "de", "Aus dem Fuhrpark-Datenspeicher, Stand: vor 2 Tagen."),
    (timedelta(seconds=20), "de", "Aus dem Fuhrpark-Datenspeicher, Stand: gerade eben."),
])
def test_the_data_s_age_is_said_in_whole_words(manager, synced_store, age, language, said):
    # A store synced seconds ago is "just now", not "0 minutes ago".
    FleetSync.objects.filter(pk=synced_store.fleet.pk).update(synced_at=timezone.now() - age)
    preferences.save_preferences(user=manager, language=language)

    html = logged_in(manager).get("/").content.decode().replace("\xa0", " ")

    assert said in html


def test_the_page_says_how_old_its_data_is_and_offers_the_stores_refresh(manager,
                                                                          synced_store):
    preferences.save_preferences(user=manager, time_zone="America/New_York")

    html = logged_in(manager).get("/").content.decode()

    synced = synced_store.fleet.synced_at.astimezone(ZoneInfo("America/New_York"))
    assert "From the fleet store, as of 1\xa0minute\xa0ago." in html
    assert f'datetime="{synced.isoformat()}"' in html
    assert 'action="/fleet-sync/refresh/"' in html


def test_the_figures_take_the_same_few_queries_for_a_bigger_fleet(
        manager_client, synced_store, django_assert_max_num_queries):
    from django.core.cache import cache

    from overview.tests.conftest import fill

    # The days rolled up, the user's reach proven again, both times.
    cache.clear()
    with django_assert_max_num_queries(15) as few:
        manager_client.get("/")
    fill(synced_store.fleet, count=60, seed=9, first=1000)  # twice the cars
    roll_up(synced_store.fleet)
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


def test_preparing_and_behind_in_german(manager, synced_store):
    preferences.save_preferences(user=manager, language="de", time_zone="Asia/Kolkata")
    client = logged_in(manager)

    preparing = client.get("/").content.decode()
    late = client.get("/?polls=30", headers=hx("home-charts")).content.decode()
    roll_up(synced_store.fleet)
    FleetSync.objects.filter(pk=synced_store.fleet.pk).update(sampled_at=timezone.now())
    behind = client.get("/").content.decode()

    assert "Die Diagramme werden vorbereitet …" in preparing and "Wird vorbereitet …" in preparing
    assert "nach 60 Sekunden noch nicht fertig" in late and "Seite neu laden" in late
    assert "stammen von vor dem letzten Lauf des Flottenspeichers" in behind
