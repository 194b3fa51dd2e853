"""Recording an event: the form, what is sent, refusals, unknown outcomes, the audit log."""

import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from config.testing import hx, wait_until
from events.tests.conftest import CAR, add_event, recorded
from fleetadmin.models import UserPreferences
from fleetstore.models import StoredCar
from flinkey import BadRequestError, NotFoundError
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

URL = f"/cars/{CAR}/events/new/"


def form_data(**overrides):
    data = {"type": "closed", "moment": "2026-03-10T18:45:00", "user_id": str(DEMO.user_id),
            "latitude": "48.1374", "longitude": "11.5755"}
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def test_the_form_defaults_to_now_and_the_users_flinkey_id(manager, manager_client, flinkey_api):
    UserPreferences.objects.update_or_create(user=manager, defaults={"flinkey_user_id": 301})
    response = manager_client.get(URL, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<dialog id="dialog"' in html and "Record an event" in html
    assert 'name="user_id" value="301"' in html
    # As English writes it (fleetadmin/web/formats/en): ISO with a space.
    now = timezone.localtime(timezone=ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%d %H:")
    assert f'name="moment" value="{now}' in html
    assert "fleetadmin/0.1.0 (manual entry)" in html


def test_recording_sends_utc_and_the_local_wall_time(manager, manager_client, flinkey_api,
                                                     clean_car):
    UserPreferences.objects.update_or_create(user=manager, defaults={"time_zone": "Europe/Berlin"})
    response = manager_client.post(URL, form_data())
    assert response.status_code == 302
    [event] = recorded(flinkey_api)
    assert event.utc_date_time == datetime(2026, 3, 10, 17, 45, tzinfo=UTC)
    assert event.local_date_time == datetime(2026, 3, 10, 18, 45)
    assert event.type == "CarClosed" and event.user_id == DEMO.user_id
    assert event.user_agent == "fleetadmin/0.1.0 (manual entry)"
    assert (event.latitude, event.longitude) == (48.1374, 11.5755)
    assert response["Location"] == f"/cars/{CAR}/events/#event-{event.id}"
    page = manager_client.get(response["Location"]).content.decode()
    assert "The event was recorded: closed on 2026-03-10 at 18:45:00." in page
    assert f'id="event-{event.id}"' in page


def test_recording_is_audited_with_its_values(manager, manager_client, flinkey_api, clean_car):
    manager_client.post(URL, form_data(latitude="", longitude=""))
    entry = AuditEntry.objects.get(action="event.create")
    event_id = recorded(flinkey_api)[-1].id
    assert entry.outcome == "success" and entry.event_id == event_id and entry.car_id == CAR
    assert entry.customer_id == DEMO.customer_id and entry.username == "manager"
    assert entry.changes["type"]["after"] == "CarClosed"
    assert entry.changes["utc_date_time"]["after"] == "2026-03-10T17:45:00+00:00"
    assert entry.changes["latitude"]["after"] is None
    assert entry.car_name is None  # no fleet store to name it from: the id alone


def test_the_audit_entry_names_the_car_as_the_fleet_store_knows_it(
        manager_client, flinkey_api, clean_car, synced_demo_fleet):
    fleet = synced_demo_fleet()
    name = StoredCar.objects.get(fleet=fleet, car_id=CAR).name
    manager_client.post(URL, form_data())
    assert AuditEntry.objects.get(action="event.create").car_name == name


def test_with_htmx_the_new_event_appears_in_the_timeline(manager_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    response = manager_client.post(URL, form_data(), headers=hx("dialog"))
    html = response.content.decode()
    event_id = recorded(flinkey_api)[-1].id
    assert response.status_code == 200 and response["HX-Reswap"] == "none"
    assert '<div id="timeline" class="timeline" hx-swap-oob="true">' in html
    assert f'<tr id="event-{event_id}" class="event event-closed event-new">' in html
    assert '<dialog id="dialog" class="dialog" hx-swap-oob="true">' in html  # closed
    assert "The event was recorded" in html  # the status message, out of band


def test_an_event_older_than_the_first_page_is_pinned(manager_client, flinkey_api, clean_car,
                                                      settings):
    settings.FLEETADMIN_EVENTS_PAGE_SIZE = 2
    for i in range(3):
        add_event(flinkey_api, at=datetime(2026, 3, 20, 12, tzinfo=UTC) + timedelta(minutes=i))
    html = manager_client.post(URL, form_data(), headers=hx("dialog")).content.decode()
    event_id = recorded(flinkey_api)[-1].id
    assert f'<tr id="event-{event_id}" class="event event-closed event-new">' in html
    assert "The new event is older than the events below." in html
    assert html.index(f'id="event-{event_id}"') < html.index('class="timeline-day"')


def test_invalid_input_keeps_what_was_typed(manager_client, flinkey_api, clean_car):
    response = manager_client.post(URL, form_data(type=None, moment="", latitude="48.2",
                                                  longitude=""), headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Choose whether the car was opened or closed: flinkey needs a valid type." in html
    assert "Enter when it happened: flinkey needs a valid date and time." in html
    assert "Enter both coordinates, or neither." in html
    assert 'name="latitude" value="48.2"' in html and f'value="{DEMO.user_id}"' in html
    assert not recorded(flinkey_api)


def test_a_moment_in_the_future_is_refused(manager_client, flinkey_api, clean_car):
    later = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    html = manager_client.post(URL, form_data(moment=later)).content.decode()
    assert "This moment is in the future" in html


def test_a_time_that_does_not_exist_in_the_users_zone(manager_client, flinkey_api, clean_car):
    # Clocks in Berlin jumped from 02:00 to 03:00 on 29 March 2026.
    response = manager_client.post(URL, form_data(moment="2026-03-29T02:30"))
    html = response.content.decode()
    assert response.status_code == 422
    assert ("2026-03-29 02:30 does not exist in Europe/Berlin: the clocks are put forward "
            "over it on that day.") in html
    assert 'name="moment" value="2026-03-29 02:30:00"' in html  # as the language writes it
    assert 'id="event-occurrence"' not in html
    assert not recorded(flinkey_api)


AUTUMN = "2026-10-25T02:30"  # Berlin's clocks went from 03:00 CEST back to 02:00 CET


def test_the_repeated_autumn_hour_asks_which_one(manager_client, flinkey_api, clean_car):
    response = manager_client.post(URL, form_data(moment=AUTUMN), headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="event-occurrence"' in html
    assert "02:30:00 happened twice on that day" in html
    assert "the first, CEST (UTC+02:00)" in html and "the second, CET (UTC+01:00)" in html
    # What was typed stays (as the language writes it).
    assert 'name="moment" value="2026-10-25 02:30:00"' in html
    assert not recorded(flinkey_api)


@pytest.mark.parametrize(("choice", "utc"), [
    ("first", datetime(2026, 10, 25, 0, 30, tzinfo=UTC)),
    ("second", datetime(2026, 10, 25, 1, 30, tzinfo=UTC)),
])
def test_both_occurrences_of_the_autumn_hour_can_be_recorded(manager_client, flinkey_api,
                                                             clean_car, choice, utc):
    response = manager_client.post(URL, form_data(moment=AUTUMN, occurrence=choice))
    assert response.status_code == 302
    [event] = recorded(flinkey_api)
    assert event.utc_date_time == utc
    assert event.local_date_time == datetime(2026, 10, 25, 2, 30)


def test_an_unambiguous_time_needs_no_choice(manager_client, flinkey_api, clean_car):
    html = manager_client.get(URL).content.decode()
    assert 'id="event-occurrence"' not in html
    assert manager_client.post(URL, form_data(occurrence="second")).status_code == 302
    assert recorded(flinkey_api)[0].utc_date_time == datetime(2026, 3, 10, 17, 45, tzinfo=UTC)


@pytest.mark.parametrize("moment", ["0001-01-01T00:00", "0001-01-01T00:30:00",
                                    "1899-12-31T23:59", "9999-12-31T23:59:59",
                                    "3000-01-01T00:00"])
def test_a_moment_outside_the_date_range_is_a_form_error(manager_client, flinkey_api,
                                                        clean_car, moment):
    response = manager_client.post(URL, form_data(moment=moment))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter a date between 1900-01-01 and 2999-12-31." in html
    assert f'name="moment" value="{moment}"' in html
    assert not AuditEntry.objects.filter(action="event.create").exists()


@pytest.mark.parametrize("user_id", ["0", str(2**31), str(2**63), str(2**70)])
def test_a_user_id_outside_flinkeys_range_is_a_form_error(manager_client, flinkey_api,
                                                         clean_car, user_id):
    response = manager_client.post(URL, form_data(user_id=user_id))
    html = response.content.decode()
    assert response.status_code == 422
    assert "Enter a flinkey id: a whole number from 1 to 2147483647." in html
    assert f'value="{user_id}"' in html
    assert not AuditEntry.objects.filter(action="event.create").exists()


@pytest.mark.parametrize("car_id", [2**31, 2**63, 2**70])
def test_a_car_id_outside_flinkeys_range_is_a_404(manager_client, flinkey_api, car_id):
    assert manager_client.post(f"/cars/{car_id}/events/new/", form_data()).status_code == 404
    assert manager_client.get(f"/cars/{car_id}/events/").status_code == 404
    assert not AuditEntry.objects.filter(action="event.create").exists()


def test_flinkey_refusing_the_user_says_so_at_the_field(manager_client, flinkey_api, clean_car):
    response = manager_client.post(URL, form_data(user_id="999999"), headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 404
    assert "flinkey knows no user with this id for your customer." in html
    assert 'id="id_user_id_error"' in html
    assert AuditEntry.objects.get(action="event.create").outcome == "failure"


def test_flinkeys_400_sentence_is_shown(manager_client, flinkey_api, clean_car):
    flinkey_api.faults.fail_next("/events", status=400, method="PUT")
    response = manager_client.post(URL, form_data(), headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 422
    assert "flinkey refused the input." in html and "flinkey said:" in html


def test_a_400_about_the_type_lands_at_the_type(manager_client, flinkey_api, clean_car):
    from events.forms import EventForm

    form = EventForm()
    assert form.field_refused(BadRequestError("Couldn't create event. No valid type provided.")
                              ) == "type"
    assert form.field_refused(BadRequestError(
        "Couldn't create event. No valid utcDateTime provided.")) == "moment"
    assert form.field_refused(BadRequestError(
        "Couldn't create event. No valid userAgent provided.")) is None
    assert form.field_refused(NotFoundError(
        "Couldn't create event. Unable to find an user for the given userId which is "
        "assigned to the given customerId.")) == "user_id"


def test_a_timeout_says_to_check_the_timeline_first(manager_client, flinkey_api, clean_car,
                                                    settings):
    settings.FLINKEY_READ_TIMEOUT = 0.5
    flinkey_api.faults.hang_next("/events", seconds=2)
    response = manager_client.post(URL, form_data(), headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 504
    assert "cannot tell whether it was saved" in html
    assert "Look for the event in the timeline before you try again." in html
    assert f'href="/cars/{CAR}/events/"' in html
    # The sandbox logs the hung request once it has answered it: end the hang now. A repeat
    # would have been sent, and answered at once, before the page came back.
    flinkey_api.faults.release()
    wait_until(lambda: flinkey_api.request_count(method="PUT"), what="the hung PUT logged")
    assert flinkey_api.request_count(method="PUT") == 1  # never repeated
    assert AuditEntry.objects.get(action="event.create").outcome == "unknown"


def test_support_may_not_record(support_client, flinkey_api, clean_car):
    assert support_client.get(URL).status_code == 403
    assert support_client.post(URL, form_data()).status_code == 403
    assert not recorded(flinkey_api)


def test_the_record_button_only_for_writers(manager_client, support_client, flinkey_api,
                                            clean_car, manager):
    add_event(flinkey_api, at=datetime(2026, 3, 10, 12, tzinfo=UTC))
    html = support_client.get(f"/cars/{CAR}/events/").content.decode()
    assert 'id="event-new"' not in html
    support_client.force_login(manager)
    html = support_client.get(f"/cars/{CAR}/events/").content.decode()
    assert 'id="event-new"' in html


def test_the_cars_current_position_fills_the_fields(manager_client, flinkey_api):
    response = manager_client.get(f"/cars/{DEMO.car_id}/events/position/",
                                  headers=hx("event-position"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<fieldset id="event-position"')
    latitude = re.search(r'name="latitude" value="([\d.]+)"', html)
    assert latitude and 40 < float(latitude[1]) < 60
    assert "The car's last known position" in html


def test_no_position_keeps_what_was_typed(manager_client, flinkey_api):
    response = manager_client.get(
        f"/cars/{DEMO.box_only_car_id}/events/position/?latitude=1.5&longitude=2.5",
        headers=hx("event-position"))
    html = response.content.decode()
    assert "flinkey knows no position for this car right now." in html
    assert 'name="latitude" value="1.5"' in html


def test_without_javascript_the_position_button_fills_the_form(manager_client, flinkey_api):
    response = manager_client.post(f"/cars/{DEMO.car_id}/events/new/",
                                   form_data(fill_position="1", latitude="", longitude=""))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r'name="latitude" value="[\d.]+"', html)
    assert 'value="closed" ' in html and "checked" in html
    assert flinkey_api.request_count(method="PUT") == 0
    assert not AuditEntry.objects.filter(action="event.create").exists()


def test_the_users_flinkey_id_is_set_in_settings(manager, manager_client, flinkey_api):
    response = manager_client.post("/settings/preferences/", {
        "time_zone": "Europe/Berlin", "flinkey_user_id": "301"})
    assert response.status_code == 302
    assert UserPreferences.objects.get(user=manager).flinkey_user_id == 301
    entry = AuditEntry.objects.get(action="preferences.change")
    assert entry.changes == {"flinkey_user_id": {"before": None, "after": 301}}
    page = manager_client.get("/settings/").content.decode()
    assert 'name="flinkey_user_id" value="301"' in page
    response = manager_client.post("/settings/preferences/", {
        "time_zone": "Europe/Berlin", "flinkey_user_id": "-1"})
    assert response.status_code == 400


def test_an_answer_trickling_in_ends_within_the_budget_and_is_told_as_unknown(
        manager_client, flinkey_api, clean_car, settings):
    # flinkey applies the PUT, then answers a byte at a time: no socket read ever waits
    # long, so only a limit on the whole exchange ends it (it used to run past the
    # worker's timeout, and the person was never told).
    settings.FLINKEY_REQUEST_BUDGET = 2.0
    manager_client.get(URL)  # the token first
    flinkey_api.faults.trickle_next("/events", bytes_per_second=20, method="PUT")
    started = time.monotonic()
    response = manager_client.post(URL, form_data(), headers=hx("dialog"))
    # Ended by the 2 s budget, not by the answer's ~20 s trickle (generous for a busy machine).
    assert time.monotonic() - started < 2.0 + 4.0
    html = response.content.decode()
    assert response.status_code == 504
    assert "flinkey did not confirm the change" in html
    assert "Look for the event in the timeline before you try again." in html
    assert len(recorded(flinkey_api)) == 1  # it was applied: "unknown" is the truth
    entry = AuditEntry.objects.get(action="event.create")
    assert entry.outcome == AuditEntry.Outcome.UNKNOWN
    # The car's next screens say so too, after the dialog is gone.
    timeline = manager_client.get(f"/cars/{CAR}/events/").content.decode()
    assert "The event you recorded for this car at" in timeline
    assert "It may have been recorded after all" in timeline
    detail = manager_client.get(f"/cars/{CAR}/").content.decode()
    assert 'id="car-unsettled"' in detail and "The event you recorded" in detail
    form = manager_client.get(URL, headers=hx("dialog")).content.decode()
    assert 'id="event-unsettled"' in form
    other = manager_client.get(f"/cars/{DEMO.car_id}/events/").content.decode()
    assert 'id="car-unsettled"' not in other


def test_the_local_time_sent_is_the_cars_not_the_users(manager, manager_client, flinkey_api,
                                                       clean_car, settings):
    # A fleet manager in New York records 17:58 (theirs) for a car in Berlin, where it was 23:58.
    settings.FLEETADMIN_FLEET_TIME_ZONE = "Europe/Berlin"
    UserPreferences.objects.update_or_create(user=manager,
                                             defaults={"time_zone": "America/New_York"})
    response = manager_client.post(URL, form_data(moment="2026-02-10T17:58:00"))
    assert response.status_code == 302
    [event] = recorded(flinkey_api)
    assert event.utc_date_time == datetime(2026, 2, 10, 22, 58, tzinfo=UTC)
    assert event.local_date_time == datetime(2026, 2, 10, 23, 58)  # dateTime: the car's clock
    entry = AuditEntry.objects.get(action="event.create")
    assert entry.changes["date_time"]["after"] == "2026-02-10T23:58:00"
    # The event's page says which local time it is: the offset its two times imply.
    page = manager_client.get(f"/events/{event.id}/").content.decode()
    local = page[page.index('id="event-local-time"'):]
    local = local[:local.index("</dd>")]
    assert '<span class="mono">2026-02-10 23:58:00</span>' in local  # the English format
    assert '<span class="muted">(UTC+01:00)</span>' in local


def test_the_form_says_which_zone_the_time_is_read_in_and_which_the_car_gets(
        manager, manager_client, flinkey_api, settings):
    settings.FLEETADMIN_FLEET_TIME_ZONE = "Europe/Lisbon"
    UserPreferences.objects.update_or_create(user=manager,
                                             defaults={"time_zone": "America/New_York"})
    html = manager_client.get(URL, headers=hx("dialog")).content.decode()
    assert "In America/New_York (your time zone)" in html
    assert "as the car’s local time in Europe/Lisbon (the fleet’s time zone)" in html

