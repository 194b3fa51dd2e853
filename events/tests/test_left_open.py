"""Cars left open: the last event of every car, in batches, longest open first."""

import re
from datetime import UTC, datetime, timedelta

import pytest

from config.testing import hx
from events import left_open
from events.tests.conftest import add_event
from flinkey_sandbox import DEMO, Sandbox

pytestmark = pytest.mark.django_db


def fleet(sandbox):
    return sorted(sandbox.store.cars[DEMO.customer_id])


def run_report(client, url, **headers):
    """Follow the batches as the browser does; return the last answer's HTML."""
    response = client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    pages = 0
    while (found := re.search(r'<div id="left-open"[^>]*hx-get="([^"]+)"', html)):
        response = client.get(found[1].replace("&amp;", "&"), headers=hx("left-open"))
        html = response.content.decode()
        pages += 1
        assert pages < 50
    return html


def rows_of(html):
    return [int(found) for found in re.findall(r'<tr id="left-open-(\d+)"', html)]


@pytest.fixture(scope="module")
def past_sandbox():
    """A sandbox whose seeded history ended ten days ago: the tests write what happened since."""
    with Sandbox(anchor=datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
                 - timedelta(days=10)) as server:
        yield server


@pytest.fixture
def sandbox(past_sandbox):
    """This module's sandbox, reset for every test (overrides the root conftest's)."""
    past_sandbox.reset()
    yield past_sandbox
    past_sandbox.reset()


@pytest.fixture
def quiet_fleet(flinkey_api):
    """Every car's last event a closing, four days ago; tests open the ones they need."""
    now = datetime.now(UTC).replace(microsecond=0)
    for car_id in fleet(flinkey_api):
        add_event(flinkey_api, car_id=car_id, at=now - timedelta(days=4), kind="CarClosed")
    return now


def test_the_page_answers_at_once_and_asks_nothing(manager_client, flinkey_api):
    flinkey_api.clear_requests()
    response = manager_client.get("/left-open/")
    html = response.content.decode()
    assert response.status_code == 200
    assert flinkey_api.request_count() == 0
    assert 'hx-trigger="load"' in html and "hours=12" in html
    assert 'name="hours" value="12"' in html


def test_cars_open_longer_than_n_hours_longest_first(manager_client, flinkey_api, quiet_fleet,
                                                     monkeypatch):
    monkeypatch.setattr(left_open, "BATCH_SIZE", 25)
    now = quiet_fleet
    cars = fleet(flinkey_api)
    add_event(flinkey_api, car_id=cars[3], at=now - timedelta(hours=13), user_id=301)
    add_event(flinkey_api, car_id=cars[40], at=now - timedelta(days=2), user_id=302)
    add_event(flinkey_api, car_id=cars[7], at=now - timedelta(hours=3))  # not long enough
    # Opened long ago and closed since: not open.
    add_event(flinkey_api, car_id=cars[9], at=now - timedelta(days=3))
    add_event(flinkey_api, car_id=cars[9], at=now - timedelta(days=1), kind="CarClosed")
    flinkey_api.clear_requests()
    html = run_report(manager_client, "/left-open/")
    assert rows_of(html) == [cars[40], cars[3]]
    assert f"{len(cars)} of {len(cars)} cars checked" in html
    # One cars call, then one $top=1 events call per car, newest first.
    events_calls = [r for r in flinkey_api.requests if r.path.endswith("/events")]
    assert len(events_calls) == len(cars)
    assert {(r.query["$top"], r.query["$orderby"]) for r in events_calls} == {
        ("1", "utcDateTime desc,id desc")}
    # Distinct requests: a GET repeated after a broken connection (the client's retry, on a
    # loaded machine) asks nothing new.
    asked = {(r.path, tuple(sorted(r.query.items()))) for r in flinkey_api.requests
             if r.method == "GET" and r.path.startswith("/cars")}
    assert len(asked) == len(cars) + 1
    assert "2\xa0days" in html and f'href="/cars/{cars[40]}/events/"' in html


def test_hours_come_from_the_url(manager_client, flinkey_api, quiet_fleet):
    now = quiet_fleet
    car = fleet(flinkey_api)[0]
    add_event(flinkey_api, car_id=car, at=now - timedelta(hours=3))
    assert rows_of(run_report(manager_client, "/left-open/?hours=2")) == [car]
    assert rows_of(run_report(manager_client, "/left-open/?hours=4")) == []


def test_bad_hours(manager_client, flinkey_api):
    response = manager_client.get("/left-open/?hours=0")
    assert response.status_code == 400


def test_progress_in_batches(manager_client, flinkey_api, quiet_fleet, monkeypatch):
    monkeypatch.setattr(left_open, "BATCH_SIZE", 20)
    html = manager_client.get("/left-open/?hours=5&run=testrun123").content.decode()
    first = re.search(r'hx-get="([^"]+)"', html)[1].replace("&amp;", "&")
    html = manager_client.get(first, headers=hx("left-open")).content.decode()
    total = len(fleet(flinkey_api))
    assert f"20 of {total} cars checked" in html
    assert "upto=40" in html


def test_failures_are_counted_and_retried_on_request(manager_client, flinkey_api, quiet_fleet):
    flinkey_api.faults.fail_next("/cars/2005/events", status=500, count=3)
    html = run_report(manager_client, "/left-open/?hours=12&run=failrun123")
    assert "1 car could not be checked" in html
    retry = re.search(r'id="left-open-retry" hx-get="([^"]+)"', html)[1].replace("&amp;", "&")
    flinkey_api.clear_requests()
    html = manager_client.get(retry, headers=hx("left-open")).content.decode()
    # Only the failed car is asked again; the others come from this run's answers.
    assert [r.path for r in flinkey_api.requests if r.path.endswith("/events")] == [
        "/cars/2005/events"]
    assert "could not be checked" not in html


def test_without_javascript_all_at_once(manager_client, flinkey_api, quiet_fleet):
    html = manager_client.get("/left-open/?hours=12&run=nojsrun123&all=1").content.decode()
    total = len(fleet(flinkey_api))
    assert f"{total} of {total} cars checked" in html
    assert "No car has been open for more than 12 hours." in html


def test_in_german_how_long_a_car_is_open_says_seit_with_the_dative(manager, manager_client,
                                                                    flinkey_api, quiet_fleet):
    from preferences import services

    services.save_preferences(user=manager, language="de")
    now = quiet_fleet
    cars = fleet(flinkey_api)
    add_event(flinkey_api, car_id=cars[40], at=now - timedelta(days=2), user_id=302)
    add_event(flinkey_api, car_id=cars[3], at=now - timedelta(hours=25), user_id=301)
    html = run_report(manager_client, "/left-open/?all=1").replace("\xa0", " ")
    assert ">Offen<" in html  # the column; its cells say since when
    assert "seit 2 Tagen" in html and "seit 1 Tag<" in html
    assert not re.search(r"\d+ Tage\b", html)


def test_the_report_names_who_left_a_car_open(manager_client, flinkey_api, quiet_fleet,
                                              monkeypatch):
    from fleetadmin.upstream.reach import proven_fleet
    from people.models import Person

    monkeypatch.setattr(left_open, "BATCH_SIZE", 100)
    now = quiet_fleet
    cars = fleet(flinkey_api)
    add_event(flinkey_api, car_id=cars[3], at=now - timedelta(hours=13), user_id=301)
    add_event(flinkey_api, car_id=cars[5], at=now - timedelta(hours=14), user_id=302)
    manager = manager_client.get("/left-open/").wsgi_request.user
    fleet_of_manager = proven_fleet(manager)
    Person.objects.create(api_url=fleet_of_manager.api_url,
                          customer_id=fleet_of_manager.customer_id,
                          flinkey_user_id=301, name="Anna Weber")
    html = run_report(manager_client, "/left-open/")
    assert rows_of(html) == [cars[5], cars[3]]
    assert '<span class="person-name">Anna Weber</span>' in html
    assert '<span class="mono person-id">302</span>' in html  # nobody named: the number
    assert "add a name" not in html  # a fleet manager does not edit the people


def test_cars_refused_for_the_token_are_named_as_refused(manager_client, flinkey_api,
                                                         quiet_fleet):
    # The proof and the fleet's car list first (both kept a while), then flinkey refuses
    # every token at its first use: each car's call is refused, not left unanswered.
    manager_client.get("/left-open/?hours=12&run=warmrun123&upto=2", headers=hx("left-open"))
    flinkey_api.faults.revoke_token_every = 1
    response = manager_client.get("/left-open/?hours=12&run=refusedrun1&upto=20",
                                  headers=hx("left-open"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "20 cars could not be checked" in html
    assert "flinkey did not accept fleetadmin&#x27;s sign-in." in html
    assert "Unauthorized. Access token is missing or invalid." in html  # flinkey's sentence
    assert "did not answer" not in html


def test_cars_that_failed_say_what_flinkey_answered(manager_client, flinkey_api, quiet_fleet):
    flinkey_api.faults.fail_next("/cars/2005/events", status=500, count=3)
    html = run_report(manager_client, "/left-open/?hours=12&run=failrun456")
    assert "1 car could not be checked" in html
    assert "flinkey had an internal error." in html and "did not answer" not in html
