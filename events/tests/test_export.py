"""The CSV export: streamed page by page, the zone in the header, formulas inert, a cap."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from config.testing import stamped_between
from events.tests.conftest import CAR, add_event, events_calls
from fleetadmin.models import UserPreferences
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

URL = f"/cars/{CAR}/events/export.csv"
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def read(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(text)))


def test_rows_with_utc_and_the_users_zone(manager, manager_client, flinkey_api, clean_car):
    UserPreferences.objects.update_or_create(user=manager, defaults={"time_zone": "Asia/Tokyo"})
    add_event(flinkey_api, at=T0, latitude=48, longitude=-11.25, kind="CarClosed")
    add_event(flinkey_api, at=T0 + timedelta(hours=1), latitude=None, longitude=None)
    response = manager_client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"fleetadmin-events-car-{CAR}-" in response["Content-Disposition"]
    header, newest, oldest = read(response)
    assert header[3:5] == ["time (UTC)", "time (Asia/Tokyo)"]
    assert newest[2] == "opened" and newest[9:] == ["", ""]
    assert oldest[2:5] == ["closed", "2026-03-10T12:00:00Z", "2026-03-10T21:00:00+09:00"]
    assert oldest[5:7] == [str(DEMO.user_id), ""]  # nobody named: no name
    assert oldest[7] == "flinkey app 3.14.2 on iOS 17.5.1"
    assert oldest[9:] == ["48.0", "-11.25"]  # numbers stay numbers, even negative ones


def test_the_file_is_named_by_the_users_clock(manager, manager_client, flinkey_api, clean_car):
    UserPreferences.objects.update_or_create(user=manager,
                                             defaults={"time_zone": "America/New_York"})
    since = timezone.now()
    response = manager_client.get(URL)
    assert f'filename="fleetadmin-events-car-{CAR}-' in response["Content-Disposition"]
    assert stamped_between(response, "America/New_York", since)


def test_formulas_are_neutralised(manager_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=T0, agent='=HYPERLINK("http://evil.example","click")')
    add_event(flinkey_api, at=T0 + timedelta(minutes=1), agent="@SUM(A1:A9)")
    rows = read(manager_client.get(URL))
    assert rows[1][8] == "'@SUM(A1:A9)"
    assert rows[2][8] == "'=HYPERLINK(\"http://evil.example\",\"click\")"
    assert not any(cell.startswith(("=", "@", "+")) for row in rows for cell in row)


def test_filters_apply_and_it_pages_by_cursor(manager_client, flinkey_api, clean_car,
                                              monkeypatch):
    monkeypatch.setattr("events.views.EXPORT_PAGE_SIZE", 2)
    for i in range(5):
        add_event(flinkey_api, at=T0 + timedelta(minutes=i), kind="CarOpened")
        add_event(flinkey_api, at=T0 + timedelta(minutes=i, seconds=30), kind="CarClosed")
    flinkey_api.clear_requests()
    rows = read(manager_client.get(URL + "?type=opened"))
    assert len(rows) == 1 + 5 and {row[2] for row in rows[1:]} == {"opened"}
    calls = events_calls(flinkey_api)
    assert len(calls) == 3 and all(call.query["$skip"] == "0" for call in calls)
    assert calls[0].query["$filter"] == "type eq 'CarOpened'"
    assert " and (utcDateTime lt " in calls[1].query["$filter"]
    times = [row[3] for row in rows[1:]]
    assert times == sorted(times, reverse=True) and len(set(times)) == 5


def test_the_cap_is_stated_in_the_file(manager_client, flinkey_api, clean_car, settings):
    settings.FLEETADMIN_EVENTS_EXPORT_MAX_ROWS = 3
    for i in range(5):
        add_event(flinkey_api, at=T0 + timedelta(minutes=i))
    rows = read(manager_client.get(URL))
    assert len(rows) == 1 + 3 + 1
    assert rows[-1][0].startswith("# Stopped at 3 rows, the export limit.")


def test_exactly_the_cap_is_not_cut(manager_client, flinkey_api, clean_car, settings):
    settings.FLEETADMIN_EVENTS_EXPORT_MAX_ROWS = 3
    for i in range(3):
        add_event(flinkey_api, at=T0 + timedelta(minutes=i))
    rows = read(manager_client.get(URL))
    assert len(rows) == 4 and not rows[-1][0].startswith("#")


def test_a_bad_filter_is_a_page_not_a_broken_file(manager_client, flinkey_api, clean_car):
    flinkey_api.clear_requests()
    response = manager_client.get(URL + "?since=2026-03-05&until=2026-03-01")
    assert response.status_code == 400
    assert not isinstance(response, StreamingHttpResponse)
    assert "The last day is before the first day." in response.content.decode()
    assert not events_calls(flinkey_api)


def test_flinkey_failing_at_once_is_a_page(manager_client, flinkey_api, clean_car):
    flinkey_api.faults.fail_next(f"/cars/{CAR}/events", status=500, count=5)
    response = manager_client.get(URL)
    assert response.status_code == 502
    assert "The events could not be loaded." in response.content.decode()


def test_flinkey_failing_midway_says_the_file_is_incomplete(manager_client, flinkey_api,
                                                           clean_car, monkeypatch):
    monkeypatch.setattr("events.views.EXPORT_PAGE_SIZE", 2)
    for i in range(5):
        add_event(flinkey_api, at=T0 + timedelta(minutes=i))
    response = manager_client.get(URL)
    # The first page was fetched before streaming; the next one fails.
    flinkey_api.faults.fail_next(f"/cars/{CAR}/events", status=500, count=5)
    rows = read(response)
    assert len(rows) == 1 + 2 + 1
    assert rows[-1][0].startswith("# The export is incomplete: flinkey failed after 2 rows")


def test_support_may_export(support_client, flinkey_api, clean_car):
    add_event(flinkey_api, at=T0)
    assert len(read(support_client.get(URL))) == 2


@pytest.mark.parametrize("car_id", [DEMO.other_car_id, DEMO.hidden_car_id, 999999])
def test_the_csv_of_a_car_not_in_the_customer_is_404_like_the_page(manager_client, flinkey_api,
                                                                  car_id):
    add_event(flinkey_api, at=T0, car_id=DEMO.other_car_id, customer_id=DEMO.other_customer_id)
    page = manager_client.get(f"/cars/{car_id}/events/")
    response = manager_client.get(f"/cars/{car_id}/events/export.csv")
    # The page of a car of another customer the user reaches offers the switch (issue 20);
    # the CSV never streams another customer's events.
    assert page.status_code == (200 if car_id == DEMO.other_car_id else 404)
    assert response.status_code == 404
    assert not isinstance(response, StreamingHttpResponse)
    assert "text/html" in response["Content-Type"]
    assert "Car not found" in response.content.decode()


def test_the_csv_checks_the_car_with_one_call_before_streaming(manager_client, flinkey_api,
                                                               clean_car):
    add_event(flinkey_api, at=T0)
    flinkey_api.clear_requests()
    assert len(read(manager_client.get(URL))) == 2
    assert flinkey_api.request_count(method="GET", path_prefix=f"/cars/{CAR}") == 2
    assert len(events_calls(flinkey_api)) == 1


def test_a_german_user_gets_csv_that_german_excel_opens_right(manager, manager_client,
                                                              flinkey_api, clean_car):
    UserPreferences.objects.update_or_create(
        user=manager, defaults={"time_zone": "Europe/Berlin", "language": "de"})
    add_event(flinkey_api, at=T0, latitude=48.5, longitude=-11.25, kind="CarOpened",
              agent="=1+1")
    response = manager_client.get(URL)
    data = b"".join(response.streaming_content)
    # UTF-8 with a BOM (else Excel reads it as ANSI: "geÃ¶ffnet"), ";" between cells.
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[2:5] == ["Ereignis", "Zeitpunkt (UTC)", "Zeitpunkt (Europe/Berlin)"]
    assert row[2] == "geöffnet" and "geöffnet".encode() in data
    assert row[8] == "'=1+1"  # the formula guard still holds
    assert row[9:] == ["48,5", "-11,25"]  # decimal commas, numbers left as numbers
    assert ";" in text.splitlines()[1] and "," not in text.splitlines()[0]
