"""Bulk selection on the car list: export the selected cars, delete them after one confirmation."""

import csv
import html as html_lib
import io

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from config.testing import hx, stamped_between, wait_until
from fleetadmin.models import UserPreferences
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

LIST, EXPORT, BULK_DELETE = "/cars/", "/cars/export/", "/cars/delete/"
HOSTILE = "Testwagen <img src=x onerror=alert(1)>"


def store(sandbox):
    return sandbox.store.cars[DEMO.customer_id]


def some_ids(sandbox, count, *, without=()):
    """Cars of the demo customer other than the demo car and `without`, lowest ids first."""
    skip = {DEMO.car_id, *without}
    return [car_id for car_id in sorted(store(sandbox)) if car_id not in skip][:count]


def named(sandbox, name):
    return next(i for i, car in store(sandbox).items() if car["name"] == name)


# --- the list ----------------------------------------------------------------------------


def test_a_manager_gets_a_box_per_row_and_the_actions(manager_client, flinkey_api):
    response = manager_client.get(LIST)
    page = response.content.decode()
    cars = response.context["listing"].page.items
    assert '<form id="car-bulk"' in page
    assert 'id="car-select-all"' in page and "Select all on this page" in page
    assert "Export selected (CSV)" in page and "Delete selected…" in page
    for car in cars:
        assert f'id="car-select-{car.id}"' in page
        assert f'<input type="hidden" name="on_page" value="{car.id}">' in page
    assert f'aria-label="Select {html_lib.escape(cars[0].name)}"' in page


def test_the_delete_link_left_the_rows(manager_client, flinkey_api):
    response = manager_client.get(LIST)
    page = response.content.decode()
    for car in response.context["listing"].page.items:
        assert f"/cars/{car.id}/delete/" not in page
        assert f"/cars/{car.id}/edit/" in page  # editing stays a row action


def test_the_delete_button_is_on_the_car_page(manager_client, flinkey_api):
    page = manager_client.get(f"/cars/{DEMO.car_id}/").content.decode()
    assert f'id="car-delete-{DEMO.car_id}" href="/cars/{DEMO.car_id}/delete/?from=detail"' in page


def test_the_list_asks_nothing_more_of_flinkey(manager_client, flinkey_api):
    flinkey_api.clear_requests()
    manager_client.get(LIST)
    assert flinkey_api.request_count(path_prefix="/cars") == 1  # the page of cars, no products


def test_support_sees_no_boxes_and_is_refused(support_client, flinkey_api):
    page = support_client.get(LIST).content.decode()
    assert "car-bulk" not in page and 'name="car"' not in page and "Export selected" not in page
    flinkey_api.clear_requests()
    for url in (EXPORT, BULK_DELETE):
        assert support_client.get(url, {"car": DEMO.car_id}).status_code == 403
    response = support_client.post(BULK_DELETE, {"car": DEMO.car_id, "confirm_count": "1"})
    assert response.status_code == 403
    assert flinkey_api.request_count(path_prefix="/cars") == 0
    assert DEMO.car_id in store(flinkey_api)


def test_a_hostile_name_in_a_row_label_is_text(manager_client, flinkey_api):
    page = manager_client.get(LIST, {"q": "testwagen"}).content.decode()
    assert "<img src=x" not in page
    assert 'aria-label="Select Testwagen &lt;img src=x onerror=alert(1)&gt;"' in page


# --- export --------------------------------------------------------------------------------


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_export_holds_the_selected_cars(manager_client, flinkey_api):
    ids = some_ids(flinkey_api, 3)
    flinkey_api.clear_requests()
    response = manager_client.get(EXPORT, {"car": ids})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith('attachment; filename="fleetadmin-cars-')
    rows = rows_of(response)
    assert rows[0] == ["flinkey id", "Name", "Licence plate", "Brand", "Model", "VIN",
                       "Description"]
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(ids)
    for row in rows[1:]:
        assert row[1] == store(flinkey_api)[int(row[0])]["name"]


def test_the_export_is_named_by_the_users_clock(manager, manager_client, flinkey_api):
    UserPreferences.objects.update_or_create(user=manager,
                                             defaults={"time_zone": "America/New_York"})
    since = timezone.now()
    response = manager_client.get(EXPORT, {"car": some_ids(flinkey_api, 1)})
    assert stamped_between(response, "America/New_York", since)
    assert flinkey_api.request_count(path_prefix="/cars") == 1  # one list call for all


def test_the_export_makes_formulas_inert(manager_client, flinkey_api):
    car_id = some_ids(flinkey_api, 1)[0]
    store(flinkey_api)[car_id]["name"] = '=HYPERLINK("http://evil","x")'
    store(flinkey_api)[car_id]["vin"] = "+49123"
    rows = rows_of(manager_client.get(EXPORT, {"car": car_id}))
    assert rows[1][1] == '\'=HYPERLINK("http://evil","x")' and rows[1][5] == "'+49123"


def test_the_export_says_which_cars_were_not_found(manager_client, flinkey_api):
    car_id = some_ids(flinkey_api, 1)[0]
    rows = rows_of(manager_client.get(EXPORT, {"car": [car_id, 999999]}))
    assert [int(row[0]) for row in rows[1:-1]] == [car_id]
    assert rows[-1] == ["# Not exported, not found for this customer: 999999"]


def test_the_export_of_the_whole_page_works_without_script(manager_client, flinkey_api):
    ids = some_ids(flinkey_api, 4)
    rows = rows_of(manager_client.get(EXPORT, {"all": "page", "on_page": ids}))
    assert sorted(int(row[0]) for row in rows[1:]) == sorted(ids)


@pytest.mark.parametrize("url", [EXPORT, BULK_DELETE])
def test_nothing_selected_goes_back_to_the_list_saying_so(manager_client, flinkey_api, url):
    flinkey_api.clear_requests()
    response = manager_client.get(url, {"q": "golf", "car": ["x", "-3"]})
    assert response.status_code == 302 and response.url == "/cars/?q=golf"
    assert flinkey_api.request_count(path_prefix="/cars") == 0
    follow = manager_client.get(response.url).content.decode()
    assert "Select at least one car first" in follow


def test_an_export_flinkey_refuses_is_explained(manager_client, flinkey_api):
    flinkey_api.faults.fail_next("/cars", status=500, count=10, method="GET")
    response = manager_client.get(EXPORT, {"car": DEMO.car_id})
    page = response.content.decode()
    assert response.status_code == 502 and "<html" in page
    assert "flinkey had an internal error" in page


# --- bulk delete -----------------------------------------------------------------------------


def test_the_confirmation_lists_the_cars_and_what_they_carry(manager_client, flinkey_api):
    ids = [DEMO.car_id, DEMO.bare_car_id]
    flinkey_api.clear_requests()
    response = manager_client.get(BULK_DELETE, {"car": ids, "q": "a"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Delete 2 cars?" in page
    for car_id in ids:
        assert store(flinkey_api)[car_id]["name"] in page
        assert f'<input type="hidden" name="car" value="{car_id}">' in page
        # At most one products call per car.
        assert flinkey_api.request_count(path_prefix=f"/cars/{car_id}/products") == 1
    assert page.count("This car still carries these devices:") == 1  # the demo car only
    assert "flinkey Box, serial number" in page and "flinkey IQ, serial number" in page
    assert "1 of these cars still carries a flinkey Box or IQ" in page
    assert 'name="confirm_count"' in page and 'data-confirm-expected="2"' in page
    assert '<input type="hidden" name="q" value="a">' in page  # back to the same list
    assert flinkey_api.request_count(method="DELETE") == 0


def test_devices_that_cannot_be_checked_are_said(manager_client, flinkey_api):
    flinkey_api.faults.fail_next(f"/cars/{DEMO.car_id}/products", status=500, count=10,
                                 method="GET")
    page = manager_client.get(BULK_DELETE, {"car": [DEMO.car_id]}).content.decode()
    assert "Its devices could not be checked" in page
    assert "For 1 car the devices could not be checked" in page
    assert 'name="confirm_count"' in page


@pytest.mark.parametrize("typed", [None, "", "3", "two", "DELETE"])
def test_deleting_needs_the_number_typed(manager_client, flinkey_api, typed):
    ids = some_ids(flinkey_api, 2)
    data = {"car": ids} | ({} if typed is None else {"confirm_count": typed})
    response = manager_client.post(BULK_DELETE, data)
    page = response.content.decode()
    assert response.status_code == 422
    assert "Type the number of cars shown (2) to delete them. Nothing was deleted." in page
    if typed:
        assert f'value="{typed}"' in page
    assert flinkey_api.request_count(method="DELETE") == 0
    assert all(car_id in store(flinkey_api) for car_id in ids)
    assert not AuditEntry.objects.filter(action="car.delete").exists()


def test_each_car_is_deleted_with_its_own_audit_entry(manager_client, flinkey_api):
    ids = some_ids(flinkey_api, 3)
    names = {car_id: store(flinkey_api)[car_id]["name"] for car_id in ids}
    response = manager_client.post(BULK_DELETE, {"car": ids, "confirm_count": " 3 "},
                                   follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    assert "3 cars were deleted." in page
    assert not any(car_id in store(flinkey_api) for car_id in ids)
    entries = AuditEntry.objects.filter(action="car.delete")
    assert sorted(entry.car_id for entry in entries) == sorted(ids)
    for entry in entries:
        assert entry.outcome == AuditEntry.Outcome.SUCCESS
        assert entry.changes == {"name": {"before": names[entry.car_id], "after": None}}
    assert flinkey_api.request_count(method="DELETE") == 3


def test_the_result_says_what_happened_to_each_car(manager_client, flinkey_api, settings):
    deleted, refused, gone, slow = some_ids(flinkey_api, 4)
    settings.FLINKEY_READ_TIMEOUT = 0.3
    flinkey_api.faults.fail_next(f"/cars/{refused}", status=500, method="DELETE")
    flinkey_api.faults.fail_next(f"/cars/{gone}", status=404, method="DELETE")
    flinkey_api.faults.hang_next(f"/cars/{slow}", seconds=1, method="DELETE")
    ids = [deleted, refused, gone, slow, 999999]
    response = manager_client.post(BULK_DELETE, {"car": ids, "confirm_count": "5"},
                                   follow=True)
    page = response.content.decode()
    assert response.status_code == 200
    summary = page[page.index('id="bulk-result-summary"'):page.index("</table>")]
    assert "1 car was deleted." in summary
    assert "2 cars were not found" in summary  # the 404 and the id flinkey never had
    assert "1 car could not be deleted." in summary
    assert "For 1 car flinkey did not answer in time" in summary
    assert f'class="outcome-deleted" id="bulk-result-{deleted}"' in page
    assert f'class="outcome-failed" id="bulk-result-{refused}"' in page
    assert "Internal server error." in page  # flinkey's own sentence
    assert f'class="outcome-not-found" id="bulk-result-{gone}"' in page
    assert f'class="outcome-unknown" id="bulk-result-{slow}"' in page
    assert 'class="outcome-not-found" id="bulk-result-999999"' in page
    # Never retried: one DELETE per car flinkey had, none for the unknown id (the hanging
    # one is logged when the sandbox answers it).
    wait_until(lambda: flinkey_api.request_count(method="DELETE") >= 4, 3)
    assert flinkey_api.request_count(method="DELETE") == 4
    outcomes = {entry.car_id: entry.outcome for entry in AuditEntry.objects.filter(
        action="car.delete")}
    assert outcomes == {deleted: "success", refused: "failure", gone: "failure",
                        slow: "unknown"}


def test_a_hostile_name_stays_text_when_deleting_in_bulk(manager_client, flinkey_api):
    car_id = named(flinkey_api, HOSTILE)
    page = manager_client.get(BULK_DELETE, {"car": car_id}).content.decode()
    assert "<img src=x" not in page and "Testwagen &lt;img src=x" in page
    page = manager_client.post(BULK_DELETE, {"car": car_id, "confirm_count": "1"},
                               follow=True).content.decode()
    assert "<img src=x" not in page and "1 car was deleted." in page


def test_selected_cars_all_gone_are_said_plainly(manager_client, flinkey_api):
    response = manager_client.get(BULK_DELETE, {"car": [999998, 999999]})
    page = response.content.decode()
    assert response.status_code == 404
    assert "None of the selected cars was found for your customer" in page


def test_more_than_a_page_is_refused(manager_client, flinkey_api):
    response = manager_client.get(BULK_DELETE, {"car": list(range(1, 103))})
    assert response.status_code == 302
    assert "Select at most 100 cars at a time." in manager_client.get(response.url
                                                                       ).content.decode()


def test_htmx_requests_get_the_whole_page(manager_client, flinkey_api):
    # The bulk form is a plain form: even where htmx runs, it navigates.
    response = manager_client.get(BULK_DELETE, {"car": DEMO.car_id}, headers=hx())
    assert response.status_code == 200


def test_the_summary_is_its_own_page_so_a_reload_deletes_nothing(manager_client, flinkey_api):
    ids = some_ids(flinkey_api, 2)
    response = manager_client.post(BULK_DELETE, {"car": ids, "confirm_count": "2", "q": "a"})
    assert response.status_code == 302
    assert response.url.startswith("/cars/deleted/?result=") and response.url.endswith("&q=a")
    flinkey_api.clear_requests()
    for _reload in range(2):
        page = manager_client.get(response.url).content.decode()
        assert "2 cars were deleted." in page and 'href="/cars/?q=a"' in page
    assert flinkey_api.request_count(path_prefix="/cars") == 0


def test_a_summary_not_kept_goes_back_to_the_list(manager_client, flinkey_api):
    response = manager_client.get("/cars/deleted/", {"result": "made-up"})
    assert response.status_code == 302 and response.url == "/cars/"
    assert "That summary is no longer available" in manager_client.get("/cars/"
                                                                        ).content.decode()


def test_each_reason_the_devices_could_not_be_checked_is_said_with_its_cars(
        manager_client, flinkey_api, settings):
    slow, refused, gone = some_ids(flinkey_api, 3)
    settings.FLINKEY_READ_TIMEOUT = 0.3
    flinkey_api.faults.hang_next(f"/cars/{slow}/products", seconds=1, method="GET")
    flinkey_api.faults.fail_next(f"/cars/{refused}/products", status=403, method="GET")
    flinkey_api.faults.fail_next(f"/cars/{gone}/products", status=404, method="GET")
    page = manager_client.get(BULK_DELETE, {"car": [slow, refused, gone, DEMO.car_id]}
                              ).content.decode()
    assert "For 1 car the devices could not be checked: flinkey did not answer in time." in page
    assert "For 1 car the devices could not be checked: flinkey refused the request." in page
    assert ("For 1 car the devices could not be checked: This car does not exist or belongs "
            "to another customer.") in page
    assert 'flinkey said: <q>Forbidden.</q>' in page
    assert "1 of these cars still carries a flinkey Box or IQ" in page  # the demo car


def test_cars_failing_alike_are_counted_under_one_reason(manager_client, flinkey_api):
    ids = some_ids(flinkey_api, 2)
    for car_id in ids:
        flinkey_api.faults.fail_next(f"/cars/{car_id}/products", status=500, count=10,
                                     method="GET")
    page = manager_client.get(BULK_DELETE, {"car": ids}).content.decode()
    assert "For 2 cars the devices could not be checked: flinkey had an internal error." in page
    assert page.count("Its devices could not be checked: flinkey had an internal error.") == 2
