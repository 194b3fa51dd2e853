"""Deleting a car: a confirmation naming it, the row going away, "someone was faster", roles."""

import pytest

from audit.models import AuditEntry
from config.testing import hx
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def delete_url(car_id, query=""):
    return f"/cars/{car_id}/delete/" + (f"?{query}" if query else "")


def confirmed(car):
    """The typed confirmation a delete needs: the car's name."""
    return {"confirm_name": car.name}


def exists(sandbox, car_id):
    return car_id in sandbox.store.cars[DEMO.customer_id]


def test_the_confirmation_page_names_the_car(manager_client, flinkey_api, demo_car):
    response = manager_client.get(delete_url(demo_car.id, "q=m-"))
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html
    assert f"Delete the car “{demo_car.name}”?" in html
    assert f'action="/cars/{demo_car.id}/delete/?q=m-"' in html and "hx-post" not in html
    assert 'href="/cars/?q=m-"' in html  # "Keep it" goes back to the same list
    assert exists(flinkey_api, demo_car.id)


def test_the_confirmation_dialog(manager_client, flinkey_api, demo_car):
    response = manager_client.get(delete_url(demo_car.id), headers=hx("dialog"))
    html = response.content.decode()
    assert html.lstrip().startswith('<dialog id="dialog"')
    assert 'role="alertdialog"' in html
    assert f"Delete “{demo_car.name}”" in html
    assert "data-close-dialog autofocus" in html  # the safe choice has the focus


def test_deleting_without_js_goes_back_to_the_list(manager_client, flinkey_api, demo_car):
    response = manager_client.post(delete_url(demo_car.id, "q=m-&page=2"), confirmed(demo_car))
    assert response.status_code == 302 and response.url == "/cars/?q=m-&page=2"
    assert not exists(flinkey_api, demo_car.id)
    follow = manager_client.get(response.url)
    assert f"The car “{demo_car.name}” was deleted." in follow.content.decode()


def test_deleting_from_the_list_removes_the_row(manager_client, flinkey_api, demo_car):
    response = manager_client.post(delete_url(demo_car.id), confirmed(demo_car),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<dialog id="dialog" class="dialog" hx-swap-oob="true"></dialog>')
    assert '<div id="car-table" class="car-table" hx-swap-oob="true">' in html
    assert f'id="car-row-{demo_car.id}"' not in html
    assert f"The car “{demo_car.name}” was deleted." in html
    assert flinkey_api.request_count(method="DELETE") == 1


def test_deleting_from_the_car_page_returns_to_the_list(manager_client, flinkey_api, demo_car):
    response = manager_client.post(delete_url(demo_car.id, "from=detail&q=m-"), confirmed(demo_car),
                                   headers=hx("dialog"))
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/cars/?q=m-"
    follow = manager_client.get("/cars/?q=m-")
    assert "was deleted." in follow.content.decode()


def test_the_delete_is_audited(manager_client, flinkey_api, demo_car):
    manager_client.post(delete_url(demo_car.id), confirmed(demo_car), headers=hx("dialog"))
    entry = AuditEntry.objects.get(action="car.delete")
    assert entry.outcome == AuditEntry.Outcome.SUCCESS
    assert entry.car_id == demo_car.id and entry.customer_id == DEMO.customer_id
    assert entry.changes == {"name": {"before": demo_car.name, "after": None}}


def test_already_deleted_before_confirming_is_information(manager_client, flinkey_api, demo_car):
    del flinkey_api.store.cars[DEMO.customer_id][demo_car.id]
    response = manager_client.post(delete_url(demo_car.id), confirmed(demo_car),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This car was not found for your customer: it was deleted already" in html
    assert 'class="alert info"' in html
    assert f'id="car-row-{demo_car.id}"' not in html
    assert flinkey_api.request_count(method="DELETE") == 0


def test_a_404_on_delete_is_already_deleted(manager_client, flinkey_api, demo_car):
    # Someone else deleted it between our look-up and our DELETE.
    flinkey_api.faults.fail_next(f"/cars/{demo_car.id}", status=404, method="DELETE")
    response = manager_client.post(delete_url(demo_car.id), confirmed(demo_car),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"The car “{demo_car.name}” is no longer there: someone else deleted it." in html
    assert f'id="car-row-{demo_car.id}"' not in html


def test_a_404_on_delete_without_js(manager_client, flinkey_api, demo_car):
    flinkey_api.faults.fail_next(f"/cars/{demo_car.id}", status=404, method="DELETE")
    response = manager_client.post(delete_url(demo_car.id), confirmed(demo_car))
    assert response.status_code == 302
    follow = manager_client.get(response.url)
    assert "is no longer there: someone else deleted it" in follow.content.decode()


def test_a_failed_delete_keeps_the_car_and_says_why(manager_client, flinkey_api, demo_car):
    flinkey_api.faults.fail_next("/cars", status=500, method="DELETE")
    response = manager_client.post(delete_url(demo_car.id), confirmed(demo_car),
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert response.status_code == 502
    assert '<dialog id="dialog"' in html and "data-open" in html
    assert "flinkey had an internal error. Try again in a moment." in html
    assert "hx-swap-oob" not in html
    assert exists(flinkey_api, demo_car.id)
    entry = AuditEntry.objects.get(action="car.delete")
    assert entry.outcome == AuditEntry.Outcome.FAILURE and entry.upstream_status == 500


def test_a_timed_out_delete_says_the_outcome_is_unknown(manager_client, flinkey_api, demo_car,
                                                        settings):
    settings.FLINKEY_READ_TIMEOUT = 0.3
    flinkey_api.faults.hang_next("/cars", seconds=1, method="DELETE")
    response = manager_client.post(delete_url(demo_car.id), confirmed(demo_car),
                                   headers=hx("dialog"))
    assert response.status_code == 504
    assert "cannot tell whether it was saved" in response.content.decode()


def test_confirming_a_missing_car(manager_client, flinkey_api):
    response = manager_client.get(delete_url(999999), headers=hx("dialog"))
    assert response.status_code == 404
    assert "Car not found" in response.content.decode()


@pytest.mark.parametrize("headers", [{}, hx("dialog")])
def test_support_may_not_delete(support_client, flinkey_api, headers):
    assert support_client.get(delete_url(DEMO.car_id), headers=headers).status_code == 403
    response = support_client.post(delete_url(DEMO.car_id), headers=headers)
    assert response.status_code == 403
    if headers:
        assert 'id="forbidden"' in response.content.decode()
    assert flinkey_api.request_count(method="DELETE") == 0
    assert exists(flinkey_api, DEMO.car_id)


# Why a car's devices could not be checked before deleting it, by what flinkey did: the
# headline in plain words, the API's own sentence as a detail (never just "did not answer");
# with no answer at all, fleetadmin's own words, not introduced as flinkey's.
UNCHECKED_KINDS = {
    "time-out": (None, "flinkey did not answer in time.",
                 "Details: <q>The flinkey API did not answer within 0.3 s."),
    "refused": (403, "flinkey refused the request.", "flinkey said: <q>Forbidden."),
    "not-found": (404, "This car does not exist or belongs to another customer.",
                  "flinkey said: <q>Not Found."),
    "server-error": (500, "flinkey had an internal error.",
                     "flinkey said: <q>Internal server error."),
}


@pytest.mark.parametrize("kind", UNCHECKED_KINDS)
def test_the_confirmation_says_why_the_devices_could_not_be_checked(
        manager_client, flinkey_api, demo_car, settings, kind):
    status, headline, detail = UNCHECKED_KINDS[kind]
    products = f"/cars/{demo_car.id}/products"
    if status is None:
        settings.FLINKEY_READ_TIMEOUT = 0.3
        flinkey_api.faults.hang_next(products, seconds=1, method="GET")
    else:
        flinkey_api.faults.fail_next(products, status=status, count=10, method="GET")
    response = manager_client.get(delete_url(demo_car.id), headers=hx("dialog"))
    page = response.content.decode()
    assert response.status_code == 200 and 'name="confirm_name"' in page
    assert f"Its devices could not be checked: {headline} If it still carries" in page
    assert f"{detail}</q>" in page
