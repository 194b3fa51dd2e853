"""A car's timeline: cursor paging, filters pushed into $filter, days in the user's zone."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from config.testing import hx
from events.tests.conftest import CAR, add_event, events_calls
from fleetadmin.models import UserPreferences
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

URL = f"/cars/{CAR}/events/"
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def event_ids(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="event-(\d+)"', html)]


def more_url(html: str) -> str | None:
    found = re.search(r'<tr id="timeline-more"[^>]*hx-get="([^"]+)"', html)
    return found[1].replace("&amp;", "&") if found else None


def set_zone(user, zone):
    UserPreferences.objects.update_or_create(user=user, defaults={"time_zone": zone})


def test_the_page_shows_newest_first_with_one_limited_call(manager_client, flinkey_api,
                                                           clean_car, settings):
    settings.FLEETADMIN_EVENTS_PAGE_SIZE = 3
    ids = [add_event(flinkey_api, at=T0 + timedelta(minutes=i)) for i in range(5)]
    flinkey_api.clear_requests()
    response = manager_client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert event_ids(html) == ids[::-1][:3]
    [call] = events_calls(flinkey_api)
    assert call.query == {"$orderby": "utcDateTime desc,id desc", "$top": "4", "$skip": "0"}
    assert more_url(html).startswith(URL + "?before=")
    assert 'id="timeline-load-more"' in html  # the link that works without JavaScript


def test_scrolling_pages_by_cursor_and_never_repeats_or_drops(manager_client, flinkey_api,
                                                              clean_car, settings):
    settings.FLEETADMIN_EVENTS_PAGE_SIZE = 3
    # Two events share a moment: the id decides their order and the cursor keeps both.
    ids = [add_event(flinkey_api, at=T0 + timedelta(minutes=i // 2 * 2)) for i in range(8)]
    html = manager_client.get(URL, headers=hx("timeline")).content.decode()
    seen = event_ids(html)
    url = more_url(html)
    while url:
        # Someone records events while the manager scrolls: newer ones and one in the past.
        add_event(flinkey_api, at=T0 + timedelta(hours=5))
        add_event(flinkey_api, at=T0 + timedelta(minutes=-30))
        flinkey_api.clear_requests()
        response = manager_client.get(url, headers=hx("timeline-more"))
        assert response.status_code == 200
        [call] = events_calls(flinkey_api)  # one upstream call per scroll, at any depth
        assert call.query["$skip"] == "0" and call.query["$top"] == "4"
        html = response.content.decode()
        assert not html.lstrip().startswith("<div")  # rows only: appended, nothing replaced
        seen += event_ids(html)
        url = more_url(html)
    original = ids[::-1]
    assert len(seen) == len(set(seen))  # no duplicates
    # Every original event, in order (the older ones recorded meanwhile may come along).
    assert [i for i in seen if i in original] == original
    assert "No older events." in html


def test_the_cursor_filter_sent(manager_client, flinkey_api, clean_car, settings):
    settings.FLEETADMIN_EVENTS_PAGE_SIZE = 2
    ids = [add_event(flinkey_api, at=T0 + timedelta(seconds=i)) for i in range(3)]
    html = manager_client.get(URL, headers=hx("timeline")).content.decode()
    url = more_url(html)
    assert f"before=20260310T120001.000000Z_{ids[1]}" in url
    manager_client.get(url, headers=hx("timeline-more"))
    assert flinkey_api.requests[-1].query["$filter"] == (
        "utcDateTime lt 2026-03-10T12:00:01Z or "
        f"utcDateTime eq 2026-03-10T12:00:01Z and id lt {ids[1]}")


def test_filters_go_into_the_filter_in_utc(manager, manager_client, flinkey_api, clean_car):
    set_zone(manager, "Europe/Berlin")
    add_event(flinkey_api, at=T0)
    response = manager_client.get(URL + "?type=closed&user=301&since=2026-03-01&until=2026-03-31",
                                  headers=hx("timeline"))
    assert response.status_code == 200
    assert flinkey_api.requests[-1].query["$filter"] == (
        "type eq 'CarClosed' and userId eq 301 and utcDateTime ge 2026-02-28T23:00:00Z "
        "and utcDateTime lt 2026-03-31T22:00:00Z")  # April 1st begins in summer time
    assert "No event matches these filters." in response.content.decode()
    # The address bar keeps the filters (canonical order); the answer varies on htmx.
    assert response["HX-Push-Url"] == (
        URL + "?type=closed&user=301&since=2026-03-01&until=2026-03-31")
    assert "HX-Request" in response["Vary"]


def test_filters_and_cursor_together(manager_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=T0)
    manager_client.get(URL + "?type=opened&before=20260310T120000.000000Z_5",
                       headers=hx("timeline-more"))
    assert flinkey_api.requests[-1].query["$filter"] == (
        "type eq 'CarOpened' and (utcDateTime lt 2026-03-10T12:00:00Z or "
        "utcDateTime eq 2026-03-10T12:00:00Z and id lt 5)")


def test_a_filter_matches_what_it_says(manager_client, flinkey_api, clean_car):
    opened = add_event(flinkey_api, at=T0, kind="CarOpened", user_id=301)
    closed = add_event(flinkey_api, at=T0 + timedelta(hours=1), kind="CarClosed", user_id=302)
    html = manager_client.get(URL + "?type=opened").content.decode()
    assert event_ids(html) == [opened]
    html = manager_client.get(URL + "?user=302").content.decode()
    assert event_ids(html) == [closed]


def test_bad_filters_ask_nothing(manager_client, flinkey_api, clean_car):
    flinkey_api.clear_requests()
    response = manager_client.get(URL + "?since=2026-03-05&until=2026-03-01&user=-4&type=x",
                                  headers=hx("timeline"))
    html = response.content.decode()
    assert response.status_code == 400
    assert "These filters cannot be used" in html
    assert "The last day is before the first day." in html
    assert not events_calls(flinkey_api)


def test_days_are_the_users_days(manager, manager_client, flinkey_api, clean_car):
    set_zone(manager, "America/New_York")
    # 03:30 UTC on the 11th is still the evening of the 10th in New York.
    late = add_event(flinkey_api, at=datetime(2026, 3, 11, 3, 30, tzinfo=UTC))
    early = add_event(flinkey_api, at=datetime(2026, 3, 11, 5, 30, tzinfo=UTC))
    html = manager_client.get(URL).content.decode()
    days = re.findall(r'<time datetime="(\d{4}-\d\d-\d\d)">', html)
    assert days == ["2026-03-11", "2026-03-10"]
    assert html.index(f'id="event-{early}"') < html.index('datetime="2026-03-10"') < html.index(
        f'id="event-{late}"')
    assert "23:30:00" in html and "01:30:00" in html
    assert "Times in America/New_York." in html


def test_a_page_continuing_a_day_does_not_repeat_its_heading(manager_client, flinkey_api,
                                                              clean_car, settings):
    settings.FLEETADMIN_EVENTS_PAGE_SIZE = 2
    for i in range(4):
        add_event(flinkey_api, at=T0 + timedelta(minutes=i))
    html = manager_client.get(URL, headers=hx("timeline")).content.decode()
    assert html.count('class="timeline-day"') == 1
    more = manager_client.get(more_url(html), headers=hx("timeline-more")).content.decode()
    assert 'class="timeline-day"' not in more
    assert len(event_ids(more)) == 2


@pytest.mark.parametrize(("latitude", "longitude", "shown"), [
    (48, 11, "48.00000, 11.00000"),
    (48.13743, 11.57549, "48.13743, 11.57549"),
    (None, None, None),
    (48.1, None, None),
])
def test_coordinates_as_integers_floats_or_null(manager_client, flinkey_api, clean_car,
                                                latitude, longitude, shown):
    add_event(flinkey_api, at=T0, latitude=latitude, longitude=longitude)
    html = manager_client.get(URL).content.decode()
    if shown:
        assert shown in html
        # The event's own place (its detail page's map), not the car's IQ map.
        assert re.search(r'href="/events/\d+/#event-location" class="event-map"', html)
        assert "/map/?at=" not in html
    else:
        assert "no position" in html and "event-map" not in html


def test_apps_in_words_and_the_raw_agent_in_a_title(manager_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=T0, agent="flinkey/3.14.1 (Android 13; Pixel 7; build 31401) "
                                        "okhttp/4.12.0")
    add_event(flinkey_api, at=T0 + timedelta(minutes=1))
    html = manager_client.get(URL).content.decode()
    assert "flinkey app 3.14.1 on Android 13 (Pixel 7)" in html
    assert "flinkey app 3.14.2 on iOS 17.5.1" in html
    assert 'title="flinkey/3.14.1 (Android 13; Pixel 7; build 31401) okhttp/4.12.0"' in html


def test_hostile_user_agents_are_text(manager_client, flinkey_api, clean_car):
    hostile = '"><img src=x onerror=alert(1)><script>alert(2)</script>'
    add_event(flinkey_api, at=T0, agent=hostile)
    html = manager_client.get(URL).content.decode()
    assert "<img src=x" not in html and "<script>alert" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_empty_states(manager_client, flinkey_api, clean_car):
    html = manager_client.get(URL).content.decode()
    assert "No events yet" in html
    assert "timeline-more" not in html


def test_a_failure_while_scrolling_keeps_what_is_loaded(manager_client, flinkey_api, clean_car,
                                                        settings):
    settings.FLEETADMIN_EVENTS_PAGE_SIZE = 2
    for i in range(4):
        add_event(flinkey_api, at=T0 + timedelta(minutes=i))
    html = manager_client.get(URL, headers=hx("timeline")).content.decode()
    url = more_url(html)
    flinkey_api.faults.fail_next(f"/cars/{CAR}/events", status=500, count=5)
    response = manager_client.get(url, headers=hx("timeline-more"))
    more = response.content.decode()
    assert response.status_code == 502
    # Only the sentinel row is replaced: by the problem and a retry of the same page.
    assert more.lstrip().startswith('<tr id="timeline-more"')
    assert "Older events could not be loaded." in more and "Internal server error." in more
    assert 'hx-target="#timeline-more"' in more and "Try again" in more
    assert 'hx-trigger="revealed"' not in more  # never retried by itself
    retried = manager_client.get(url, headers=hx("timeline-more"))
    assert retried.status_code == 200 and len(event_ids(retried.content.decode())) == 2


def test_the_first_page_failing_says_so_with_a_retry(manager_client, flinkey_api, clean_car):
    flinkey_api.faults.fail_next(f"/cars/{CAR}/events", status=503, count=5)
    response = manager_client.get(URL, headers=hx("timeline"))
    assert response.status_code == 502
    html = response.content.decode()
    assert "The events could not be loaded." in html and 'hx-target="#timeline"' in html


def test_the_car_page_loads_the_timeline_lazily(manager_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=T0)
    flinkey_api.clear_requests()
    html = manager_client.get(f"/cars/{CAR}/").content.decode()
    assert f'hx-get="/cars/{CAR}/events/" hx-trigger="revealed"' in html
    assert f'href="/cars/{CAR}/events/" id="car-events-link"' in html
    assert not events_calls(flinkey_api)
    section = manager_client.get(URL, headers=hx("car-events")).content.decode()
    assert section.lstrip().startswith('<section id="car-events"')
    assert 'id="timeline"' in section and len(event_ids(section)) == 1


def test_without_javascript_load_more_is_a_page(manager_client, flinkey_api, clean_car,
                                                settings):
    settings.FLEETADMIN_EVENTS_PAGE_SIZE = 1
    older = add_event(flinkey_api, at=T0)
    add_event(flinkey_api, at=T0 + timedelta(minutes=1))
    html = manager_client.get(URL).content.decode()
    page = manager_client.get(more_url(html))
    html = page.content.decode()
    assert page.status_code == 200 and "<html" in html
    assert event_ids(html) == [older]
    assert "Show the newest events" in html


def test_an_unknown_car(manager_client, flinkey_api):
    response = manager_client.get("/cars/999999/events/")
    assert response.status_code == 404
    assert "Car not found" in response.content.decode()


def test_the_demo_car(manager_client, flinkey_api):
    response = manager_client.get(f"/cars/{DEMO.car_id}/events/")
    assert response.status_code == 200
    assert len(event_ids(response.content.decode())) == 50


def test_the_cursor_keeps_the_seventh_digit_the_api_sends():
    # .NET keeps 100 ns; a cursor cut to the microsecond would drop the events that share
    # the page's last microsecond (or its moment, at a lower id) between two pages.
    from events.services import Cursor
    from flinkey import Event

    last = Event.from_api({"id": 41, "carId": CAR, "type": "CarOpened",
                           "utcDateTime": "2026-03-10T12:00:01.2345678Z"})
    cursor = Cursor.after(last)
    assert cursor.token() == "20260310T120001.2345678Z_41"
    assert Cursor.parse(cursor.token()) == cursor
    assert str(cursor.expression()) == (
        "utcDateTime lt 2026-03-10T12:00:01.2345678Z or "
        "utcDateTime eq 2026-03-10T12:00:01.2345678Z and id lt 41")
    whole = Event.from_api({"id": 42, "carId": CAR, "type": "CarOpened",
                            "utcDateTime": "2026-03-10T12:00:01.234567Z"})
    assert Cursor.after(whole).token() == "20260310T120001.234567Z_42"  # as before


def test_a_cursor_in_100_ns_is_sent_as_such(manager_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=T0)
    response = manager_client.get(URL + "?before=20260310T120000.0000005Z_5",
                                  headers=hx("timeline-more"))
    assert response.status_code == 200
    assert flinkey_api.requests[-1].query["$filter"] == (
        "utcDateTime lt 2026-03-10T12:00:00.0000005Z or "
        "utcDateTime eq 2026-03-10T12:00:00.0000005Z and id lt 5")


@pytest.mark.parametrize("before", [
    "99991231T235959.9999999Z_1", "99991231T235959.999999Z_2147483647",
    "00010101T000000.000000Z_1", f"20261010T120000.000000Z_{2**31}",
    f"20261010T120000.000000Z_{2**63}",
])
def test_load_more_with_a_cursor_at_either_end_is_no_500(manager_client, flinkey_api, clean_car,
                                                         before):
    # Year 9999 in UTC is past what a datetime holds in Berlin; an id beyond int32 names
    # nothing: such a cursor is no cursor, and the newest events are shown.
    newest = add_event(flinkey_api, at=T0)
    for target in ("timeline-more", "timeline", None):
        headers = hx(target) if target else {}
        response = manager_client.get(URL, {"before": before}, headers=headers)
        assert response.status_code == 200, (target, response.status_code)
        assert f'id="event-{newest}"' in response.content.decode()
