"""Creating a car: the dialog and the plain page, validation, upstream refusals, timeouts, roles."""


import re
import time

import pytest

from audit.models import AuditEntry
from config.testing import hx, make_user, wait_until
from fleetadmin.upstream.clients import client_for
from flinkey import BadRequestError, FlinkeyClient, UnavailableError
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

NEW = "/cars/new/"
VALID = {
    "name": "Pool ID.4 Nord 99",
    "license_plate": "M-XY 1234",
    "brand": "Volkswagen",
    "model": "ID.4",
    "vin": "WVGZZZE2ZMP012345",
    "description": "Neu im Pool",
}


def created_cars(sandbox):
    return [car for car in sandbox.store.cars[DEMO.customer_id].values()
            if car["name"] == VALID["name"]]


def test_the_form_page(manager_client, flinkey_api):
    response = manager_client.get(NEW)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html and 'id="car-form"' in html
    assert "hx-post" not in html  # a plain form without JS
    assert flinkey_api.request_count() == 0


def test_the_dialog_fragment(manager_client, flinkey_api):
    response = manager_client.get(NEW + "?q=golf&page=2", headers=hx("dialog"))
    html = response.content.decode()
    assert html.lstrip().startswith('<dialog id="dialog"')
    assert "data-open" in html
    assert 'hx-post="/cars/new/?q=golf&amp;page=2"' in html
    assert 'hx-target="#dialog"' in html and "data-close-dialog" in html


def test_creating_without_js_goes_to_the_new_car(manager_client, flinkey_api):
    response = manager_client.post(NEW + "?q=pool", VALID)
    (car,) = created_cars(flinkey_api)
    assert response.status_code == 302
    assert response.url == f"/cars/{car['id']}/?q=pool"
    assert car["licensePlate"] == "M-XY 1234" and car["vin"] == VALID["vin"]
    follow = manager_client.get(response.url)
    assert "The car “Pool ID.4 Nord 99” was created." in follow.content.decode()


def test_creating_in_the_dialog_shows_the_car_in_the_list(manager_client, flinkey_api):
    response = manager_client.post(NEW + "?sort=-name", VALID, headers=hx("dialog"))
    html = response.content.decode()
    (car,) = created_cars(flinkey_api)
    assert response.status_code == 200
    assert html.startswith('<dialog id="dialog" class="dialog" hx-swap-oob="true"></dialog>')
    # (the dialog closed, above)
    assert '<div id="car-table" class="car-table" hx-swap-oob="true">' in html
    assert f'<tr id="car-row-{car["id"]}" class="car-new">' in html
    assert 'hx-swap-oob="innerHTML"' in html and "was created." in html
    assert flinkey_api.request_count(method="PUT") == 1
    # The list was fetched again in the list's own order.
    last = [r for r in flinkey_api.requests if r.method == "GET"][-1]
    assert last.query["$orderby"] == "name desc,id desc"


def test_a_new_car_outside_the_page_is_pinned_on_top(manager_client, flinkey_api):
    values = {**VALID, "name": "zzz last of all"}
    response = manager_client.post(NEW, values, headers=hx("dialog"))
    html = response.content.decode()
    car_id = next(c["id"] for c in flinkey_api.store.cars[DEMO.customer_id].values()
                  if c["name"] == "zzz last of all")
    # Sorted by name it belongs on the last page, not the first one shown: pinned above it.
    assert car_id not in {car.id for car in response.context["listing"].page.items}
    assert response.context["listing"].pinned.id == car_id
    assert f'<tr id="car-row-{car_id}" class="car-new">' in html
    assert "and the new car above" in html


def test_the_create_is_audited(manager, manager_client, flinkey_api):
    manager_client.post(NEW, VALID, headers=hx("dialog"))
    (car,) = created_cars(flinkey_api)
    entry = AuditEntry.objects.get(action="car.create")
    assert entry.outcome == AuditEntry.Outcome.SUCCESS
    assert entry.car_id == car["id"] and entry.customer_id == DEMO.customer_id
    assert entry.user == manager
    assert entry.changes["name"] == {"before": None, "after": VALID["name"]}


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_a_blank_name_is_refused_next_to_the_field(manager_client, flinkey_api, name):
    values = {**VALID, "name": name}
    response = manager_client.post(NEW, values, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 422
    assert '<small class="error" id="id_name_error">Enter a name' in html
    assert 'aria-invalid="true"' in html
    # Everything typed is still there.
    for field in ("license_plate", "brand", "model", "vin"):
        assert f'value="{VALID[field]}"' in html
    assert "Neu im Pool</textarea>" in html
    assert flinkey_api.request_count(method="PUT") == 0


def test_an_odd_vin_is_a_warning_not_a_refusal(manager_client, flinkey_api):
    response = manager_client.post(NEW, {**VALID, "vin": "WVWZZZ1JZ3W38675"},  # 16 chars
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 200
    assert created_cars(flinkey_api)[0]["vin"] == "WVWZZZ1JZ3W38675"
    assert "does not look like a 17-character VIN" in html


def test_the_vin_warning_shows_next_to_the_field(manager_client, flinkey_api):
    response = manager_client.post(NEW, {**VALID, "name": "", "vin": "OLDTIMER-1962"},
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert '<small class="warning" id="id_vin_warning">' in html
    assert 'aria-describedby="id_vin_helptext id_vin_warning"' in html


def test_an_upstream_failure_keeps_the_input_and_says_why(manager_client, flinkey_api):
    flinkey_api.faults.fail_next("/cars", status=500, method="PUT")
    response = manager_client.post(NEW, VALID, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 502
    assert "flinkey had an internal error. Try again in a moment." in html
    assert "flinkey said: <q>Internal server error.</q>" in html
    assert f'value="{VALID["name"]}"' in html and 'value="M-XY 1234"' in html
    entry = AuditEntry.objects.get(action="car.create")
    assert entry.outcome == AuditEntry.Outcome.FAILURE and entry.upstream_status == 500


def test_a_timed_out_create_is_never_retried_and_says_to_check(manager_client, flinkey_api,
                                                               settings):
    settings.FLINKEY_READ_TIMEOUT = 0.3
    manager_client.get("/cars/")  # the token first
    flinkey_api.faults.hang_next("/cars", seconds=1, method="PUT")
    response = manager_client.post(NEW, VALID, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 504
    assert "Check the current state before you try again." in html
    assert f'value="{VALID["name"]}"' in html
    # The sandbox logs the hung PUT when its hang ends (1 s). A retry would have been sent
    # before the answer above and answered at once (only one request hangs), so it would
    # be in the log before the hung one: once that is there, exactly one PUT must be.
    wait_until(lambda: flinkey_api.request_count(method="PUT"), what="the hung PUT logged")
    assert flinkey_api.request_count(method="PUT") == 1


def test_the_apis_name_refusal_shows_next_to_the_name(manager_client, flinkey_api, monkeypatch):
    def refuse(self, **fields):
        raise BadRequestError("Could not create car. No car name given.", 400)

    monkeypatch.setattr(FlinkeyClient, "create_car", refuse)
    response = manager_client.post(NEW, VALID, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 422
    assert ('<small class="error" id="id_name_error">flinkey refused the input. Correct it and '
            "try again. flinkey said: “Could not create car. No car name given.”") in html


def test_without_credentials_the_form_points_to_settings(client, flinkey_api):
    client.force_login(make_user("newbie", with_credentials=False))
    response = client.post(NEW, VALID, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 409
    assert "Open Settings" in html and f'value="{VALID["name"]}"' in html


@pytest.mark.parametrize("headers", [{}, hx("dialog")])
def test_support_may_not_create(support_client, flinkey_api, headers):
    assert support_client.get(NEW, headers=headers).status_code == 403
    response = support_client.post(NEW, VALID, headers=headers)
    assert response.status_code == 403
    assert flinkey_api.request_count(method="PUT") == 0
    assert not created_cars(flinkey_api)


def test_the_new_car_is_readable_through_the_client(manager, manager_client, flinkey_api):
    manager_client.post(NEW, {"name": "Nur ein Name"})
    (car,) = [c for c in flinkey_api.store.cars[DEMO.customer_id].values()
              if c["name"] == "Nur ein Name"]
    fetched = client_for(manager).get_car(car["id"])
    assert fetched.vin is None and fetched.license_plate is None and fetched.description is None


def test_a_create_whose_connection_broke_says_to_check(manager_client, flinkey_api, monkeypatch):
    def broken(self, **fields):
        raise UnavailableError("The connection to the flinkey API broke before it answered.",
                               write_outcome_unknown=True)

    monkeypatch.setattr(FlinkeyClient, "create_car", broken)
    response = manager_client.post(NEW, VALID, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 503
    assert "cannot tell whether it was saved. Check the current state before you try again." in html
    assert "Try again in a moment" not in html
    assert f'value="{VALID["name"]}"' in html


@pytest.mark.parametrize(("field", "limit"), [("name", 100), ("license_plate", 20),
                                              ("brand", 50), ("model", 50), ("vin", 30),
                                              ("description", 1000)])
def test_every_field_has_a_length_a_fleet_needs(manager_client, flinkey_api, field, limit):
    values = {**VALID, field: "x" * (limit + 1)}
    response = manager_client.post(NEW, values, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 422
    assert f"Keep it to {limit} characters or fewer (this has {limit + 1})." in html
    assert f'maxlength="{limit}"' in html  # the browser says so while typing, too
    assert flinkey_api.request_count(method="PUT") == 0
    ok = manager_client.post(NEW, {**VALID, field: "x" * limit}, headers=hx("dialog"))
    assert ok.status_code == 200


@pytest.mark.parametrize("url", [NEW, f"/cars/{DEMO.car_id}/edit/"])
def test_the_name_says_its_limit_before_the_browser_cuts_a_longer_one(manager_client,
                                                                      flinkey_api, url):
    html = manager_client.get(url, headers=hx("dialog")).content.decode()
    name = re.search(r'<input type="text" name="name"[^>]*>', html).group(0)
    assert 'maxlength="100"' in name and 'aria-describedby="id_name_helptext"' in name
    assert '<small class="help" id="id_name_helptext">Up to 100 characters.</small>' in html


def test_a_create_whose_answer_trickles_in_is_told_on_the_list_and_the_form(
        manager_client, flinkey_api, settings):
    settings.FLINKEY_REQUEST_BUDGET = 2.0
    manager_client.get("/cars/")  # the token first
    flinkey_api.faults.trickle_next("/cars", bytes_per_second=20, method="PUT")
    started = time.monotonic()
    response = manager_client.post(NEW, VALID, headers=hx("dialog"))
    assert time.monotonic() - started < 2.0 + 1.0
    assert response.status_code == 504
    assert "Check the current state before you try again." in response.content.decode()
    assert len(created_cars(flinkey_api)) == 1  # applied, unconfirmed
    assert AuditEntry.objects.get(action="car.create").outcome == AuditEntry.Outcome.UNKNOWN
    note = f"The car “{VALID['name']}” you created at"
    listing = manager_client.get("/cars/").content.decode()
    assert 'id="car-unsettled"' in listing and note in listing
    assert note in manager_client.get(NEW, headers=hx("dialog")).content.decode()
    # An answered create ends the note.
    assert manager_client.post(NEW, {**VALID, "name": "Answered"}).status_code == 302
    assert 'id="car-unsettled"' not in manager_client.get("/cars/").content.decode()
