"""Editing a car: only changed fields go out, emptied ones are removed, concurrent edits survive."""

import time
from dataclasses import replace

import pytest

from audit.models import AuditEntry
from cars.services import car_values
from config.testing import hx
from flinkey import FlinkeyClient
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def edit_url(car_id, query=""):
    return f"/cars/{car_id}/edit/" + (f"?{query}" if query else "")


def form_data(car, **changes):
    """What the browser posts: the fields (with changes) and the values the form showed."""
    shown = car_values(car)
    data = {**shown, **changes}
    data.update({f"initial-{name}": value for name, value in shown.items()})
    return data


def stored(sandbox, car_id):
    return sandbox.store.cars[DEMO.customer_id].get(car_id)


@pytest.fixture
def sent(monkeypatch):
    """Every `changes` mapping the client was asked to PATCH."""
    calls = []
    original = FlinkeyClient.update_car

    def spy(self, car_id, changes):
        calls.append(dict(changes))
        return original(self, car_id, changes)

    monkeypatch.setattr(FlinkeyClient, "update_car", spy)
    return calls


def test_the_form_page_shows_the_car(manager_client, demo_car):
    response = manager_client.get(edit_url(demo_car.id))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert f'value="{demo_car.license_plate}"' in html
    # The values the form showed travel along, so only real changes are sent.
    assert f'name="initial-license_plate" value="{demo_car.license_plate}"' in html


def test_the_dialog_fragment(manager_client, demo_car):
    response = manager_client.get(edit_url(demo_car.id, "from=detail"), headers=hx("dialog"))
    html = response.content.decode()
    assert html.lstrip().startswith('<dialog id="dialog"')
    assert f'hx-post="/cars/{demo_car.id}/edit/?from=detail"' in html


def test_only_changed_fields_are_sent(manager_client, flinkey_api, demo_car, sent):
    response = manager_client.post(edit_url(demo_car.id),
                                   form_data(demo_car, license_plate="M-NEU 1"),
                                   headers=hx("dialog"))
    assert response.status_code == 200
    assert sent == [{"license_plate": "M-NEU 1"}]
    car = stored(flinkey_api, demo_car.id)
    assert car["licensePlate"] == "M-NEU 1" and car["name"] == demo_car.name
    assert flinkey_api.request_count(method="PATCH") == 1


def test_an_emptied_optional_field_is_removed(manager_client, flinkey_api, demo_car, sent):
    manager_client.post(edit_url(demo_car.id), form_data(demo_car, brand="", description="  "))
    assert sent == [{"brand": None, "description": None}]
    car = stored(flinkey_api, demo_car.id)
    assert car["brand"] is None and car["description"] is None


@pytest.mark.parametrize("name", ["", "   "])
def test_the_name_cannot_be_emptied(manager_client, flinkey_api, demo_car, sent, name):
    response = manager_client.post(edit_url(demo_car.id),
                                   form_data(demo_car, name=name, model="Neues Modell"),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 422
    assert 'id="id_name_error"' in html and 'value="Neues Modell"' in html
    assert sent == [] and flinkey_api.request_count(method="PATCH") == 0


def test_saving_unchanged_sends_nothing(manager_client, flinkey_api, demo_car, sent):
    response = manager_client.post(edit_url(demo_car.id), form_data(demo_car),
                                   headers=hx("dialog"))
    assert response.status_code == 200
    assert "Nothing was changed" in response.content.decode()
    assert sent == [] and flinkey_api.request_count(method="PATCH") == 0
    assert not AuditEntry.objects.filter(action="car.update").exists()


def test_from_the_list_the_row_updates(manager_client, flinkey_api, demo_car):
    response = manager_client.post(edit_url(demo_car.id, "q=m-&page=2"),
                                   form_data(demo_car, model="Golf Variant"),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert html.startswith('<dialog id="dialog" class="dialog" hx-swap-oob="true"></dialog>')
    assert f'<template>\n<tr id="car-row-{demo_car.id}" hx-swap-oob="true">' in html
    assert "Golf Variant" in html
    assert f'href="/cars/{demo_car.id}/?q=m-&amp;page=2"' in html  # the row keeps the state
    assert f"The car “{demo_car.name}” was saved." in html


def test_from_the_detail_page_the_panel_updates(manager_client, flinkey_api, demo_car):
    response = manager_client.post(edit_url(demo_car.id, "from=detail"),
                                   form_data(demo_car, name="Umbenannt"),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert '<section id="car-details"' in html and 'hx-swap-oob="true"' in html
    assert '<h1 id="car-title">Umbenannt</h1>' in html
    assert "car-row-" not in html


def test_without_js_saving_goes_back_where_it_started(manager_client, flinkey_api, demo_car):
    response = manager_client.post(edit_url(demo_car.id, "q=m-&from=detail"),
                                   form_data(demo_car, model="X"))
    assert response.status_code == 302 and response.url == f"/cars/{demo_car.id}/?q=m-"
    response = manager_client.post(edit_url(demo_car.id, "q=m-"),
                                   form_data(replace(demo_car, model="X"), model="Y"))
    assert response.status_code == 302 and response.url == "/cars/?q=m-"


def test_the_update_is_audited_with_only_the_changes(manager_client, flinkey_api, demo_car):
    manager_client.post(edit_url(demo_car.id), form_data(demo_car, vin="", model="ID.7"))
    entry = AuditEntry.objects.get(action="car.update")
    assert entry.outcome == AuditEntry.Outcome.SUCCESS and entry.car_id == demo_car.id
    assert entry.customer_id == DEMO.customer_id
    assert entry.changes == {
        "vin": {"before": demo_car.vin, "after": None},
        "model": {"before": demo_car.model, "after": "ID.7"},
    }


def test_someone_elses_edit_of_another_field_survives(manager_client, flinkey_api, demo_car,
                                                      sent):
    stored(flinkey_api, demo_car.id)["brand"] = "Cupra"  # saved by someone else meanwhile
    manager_client.post(edit_url(demo_car.id), form_data(demo_car, model="Born"))
    assert sent == [{"model": "Born"}]
    assert stored(flinkey_api, demo_car.id)["brand"] == "Cupra"


def test_a_conflicting_edit_is_shown_not_overwritten(manager_client, flinkey_api, demo_car, sent):
    stored(flinkey_api, demo_car.id)["licensePlate"] = "M-ANDERS 7"
    stored(flinkey_api, demo_car.id)["brand"] = "Cupra"
    data = form_data(demo_car, license_plate="M-MEINS 1")
    response = manager_client.post(edit_url(demo_car.id), data, headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 409
    assert sent == []
    assert "Someone else changed this to “M-ANDERS 7” meanwhile." in html
    assert 'value="M-MEINS 1"' in html  # the person's input is kept
    assert 'name="brand" value="Cupra"' in html  # untouched fields show the current value
    # Saving again applies it deliberately.
    again = {**data, "brand": "Cupra", "initial-brand": "Cupra",
             "initial-license_plate": "M-ANDERS 7"}
    response = manager_client.post(edit_url(demo_car.id), again, headers=hx("dialog"))
    assert response.status_code == 200
    assert sent == [{"license_plate": "M-MEINS 1"}]


def test_a_car_deleted_meanwhile_keeps_the_input(manager_client, flinkey_api, demo_car):
    del flinkey_api.store.cars[DEMO.customer_id][demo_car.id]
    response = manager_client.post(edit_url(demo_car.id), form_data(demo_car, model="Weg"),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 404
    assert "may have been deleted by someone else" in html and 'value="Weg"' in html


def test_an_upstream_failure_keeps_the_input(manager_client, flinkey_api, demo_car):
    flinkey_api.faults.fail_next("/cars", status=500, method="PATCH")
    response = manager_client.post(edit_url(demo_car.id), form_data(demo_car, model="Passat"),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 502
    assert "Internal server error." in html and 'value="Passat"' in html
    entry = AuditEntry.objects.get(action="car.update")
    assert entry.outcome == AuditEntry.Outcome.FAILURE and entry.upstream_status == 500


def test_a_timed_out_update_says_the_outcome_is_unknown(manager_client, flinkey_api, demo_car,
                                                        settings):
    settings.FLINKEY_READ_TIMEOUT = 0.3
    flinkey_api.faults.hang_next("/cars", seconds=1, method="PATCH")
    response = manager_client.post(edit_url(demo_car.id), form_data(demo_car, model="Tiguan"),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 504
    assert "cannot tell whether it was saved" in html and 'value="Tiguan"' in html


def test_editing_a_missing_car(manager_client, flinkey_api):
    response = manager_client.get(edit_url(999999), headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 404
    assert '<dialog id="dialog"' in html and "Car not found" in html
    # Seen from the list, the stale row goes away.
    assert '<div id="car-table" class="car-table" hx-swap-oob="true">' in html
    page = manager_client.get(edit_url(999999))
    assert page.status_code == 404 and "<html" in page.content.decode()


def test_a_failure_loading_the_form(manager_client, flinkey_api, demo_car):
    flinkey_api.faults.fail_next("/cars", status=500, count=3)
    response = manager_client.get(edit_url(demo_car.id), headers=hx("dialog"))
    assert response.status_code == 502
    assert "Internal server error." in response.content.decode()


@pytest.mark.parametrize("headers", [{}, hx("dialog")])
def test_support_may_not_edit(support_client, flinkey_api, headers):
    car_id = DEMO.car_id
    assert support_client.get(edit_url(car_id), headers=headers).status_code == 403
    response = support_client.post(edit_url(car_id), {"name": "Gekapert"}, headers=headers)
    assert response.status_code == 403
    assert flinkey_api.request_count(method="PATCH") == 0
    assert flinkey_api.request_count() == 0


def test_a_timed_out_change_is_mentioned_on_the_cars_next_screens(manager_client, flinkey_api,
                                                                  demo_car, settings):
    settings.FLINKEY_READ_TIMEOUT = 0.3
    manager_client.get(edit_url(demo_car.id))  # the token first
    flinkey_api.faults.hang_next(f"/cars/{demo_car.id}", seconds=1, method="PATCH")
    data = {**form_data(demo_car), "model": "Applied later?"}
    response = manager_client.post(edit_url(demo_car.id), data, headers=hx("dialog"))
    assert response.status_code == 504
    # Whatever the person does next with this car, they are told.
    detail = manager_client.get(f"/cars/{demo_car.id}/").content.decode()
    assert "got no answer from flinkey. It may have been applied after all" in detail
    again = manager_client.get(edit_url(demo_car.id), headers=hx("dialog")).content.decode()
    assert 'id="car-unsettled"' in again
    other = manager_client.get(f"/cars/{DEMO.box_only_car_id}/").content.decode()
    assert 'id="car-unsettled"' not in other
    # An answered change ends the note.
    data = {**form_data(demo_car), "brand": "Answered"}
    manager_client.post(edit_url(demo_car.id), data, headers=hx("dialog"))
    assert 'id="car-unsettled"' not in manager_client.get(f"/cars/{demo_car.id}/").content.decode()


def test_a_change_whose_answer_trickles_in_ends_in_time_and_is_told(manager_client, flinkey_api,
                                                                   demo_car, settings):
    settings.FLINKEY_REQUEST_BUDGET = 2.0
    manager_client.get(edit_url(demo_car.id))  # the token first
    flinkey_api.faults.trickle_next(f"/cars/{demo_car.id}", bytes_per_second=20,
                                    method="PATCH")
    data = {**form_data(demo_car), "model": "Applied, unconfirmed"}
    started = time.monotonic()
    response = manager_client.post(edit_url(demo_car.id), data, headers=hx("dialog"))
    assert time.monotonic() - started < 2.0 + 1.0
    assert response.status_code == 504
    assert AuditEntry.objects.get(action="car.update").outcome == AuditEntry.Outcome.UNKNOWN
    detail = manager_client.get(f"/cars/{demo_car.id}/").content.decode()
    assert "got no answer from flinkey. It may have been applied after all" in detail
