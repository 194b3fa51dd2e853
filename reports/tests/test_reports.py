"""The reports: pages, CSV and XLSX, with figures worked out here from the rows the tests
stored (reports/tests/conftest.py), never by the reports' own code."""

import csv
import io
import re
from datetime import timedelta
from html import unescape as html_unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from config.testing import FLINKEY_FAILURES, make_flinkey_fail
from fleetadmin.models import UserPreferences
from flinkey import Event
from flinkey_sandbox import DEMO
from reports.catalogue import REPORTS
from reports.tests.conftest import (
    ALPHA,
    BRAVO,
    CHARLIE,
    GONE,
    PERIOD,
    PERIOD_END,
    PERIOD_START,
    PERSON,
    STRANGER,
    ZONE,
)

pytestmark = pytest.mark.django_db

URLS = {"service-ends": "/reports/service-ends/", "mileage": "/reports/mileage/",
        "utilisation": "/reports/utilisation/", "sessions": "/reports/sessions/"}


def read_csv(response, delimiter=",") -> list[list[str]]:
    data = b"".join(response.streaming_content)
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def read_xlsx(response) -> list[list]:
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def by_car(rows, position=0) -> dict:
    return {str(row[position]): row for row in rows[1:]}


# --- the index, the header, no store -----------------------------------------------------


def test_the_index_lists_every_report_and_the_header_links_to_it(manager_client, store):
    html = manager_client.get("/reports/").content.decode()
    assert 'href="/reports/"' in html and ">Reports</a>" in html
    for url in URLS.values():
        assert f'href="{url}"' in html
    assert set(REPORTS) == set(URLS)


def test_without_a_synced_store_the_pages_say_so_and_admins_get_the_sync_page(
        manager_client, admin_client, flinkey_api):
    for url in ("/reports/", *URLS.values()):
        html = manager_client.get(url).content.decode()
        assert "there is none to read for your customer yet" in html
        assert "Ask an admin to turn on fleet sync." in html
    html = admin_client.get(URLS["mileage"]).content.decode()
    assert 'href="/fleet-sync/"' in html and "Turn on fleet sync" in html
    assert manager_client.get(URLS["mileage"] + "?format=csv")["Content-Type"].startswith(
        "text/html")


def test_a_store_not_yet_synced_is_not_read(manager_client, flinkey_api):
    from fleetstore.tests.conftest import make_fleet

    make_fleet(flinkey_api.url)  # on, but its first sync has not finished
    assert "there is none to read" in manager_client.get(URLS["sessions"]).content.decode()


@pytest.mark.parametrize(("how", "status", "said"), [
    *((how, status, f"{headline} Try again in a moment.")
      for how, (status, headline) in FLINKEY_FAILURES.items()),
    ("credentials", 409, "flinkey refused your API key. Check the API key on the Settings page."),
])
def test_when_flinkey_cannot_confirm_the_users_reach_the_pages_say_so_not_sync_off(
        manager_client, manager, store, flinkey_api, settings, how, status, said):
    if how == "credentials":
        credentials = manager.flinkey_credentials
        credentials.api_key = "not-a-key"
        credentials.save()
    else:
        make_flinkey_fail(how, flinkey_api, settings)

    for url in ("/reports/", URLS["service-ends"], URLS["mileage"] + "?format=csv"):
        response = manager_client.get(url)
        html = response.content.decode()
        assert response.status_code == status, url
        assert "flinkey has to confirm that you may read your fleet's data" in html
        assert said in html
        assert "there is none to read" not in html and "turn on fleet sync" not in html.lower()
        assert 'id="report-table"' not in html
    if how == "server error":
        assert "flinkey said: <q>Internal server error.</q>" in html
    if how != "credentials":
        assert f'href="{URLS["mileage"]}?format=csv">Try again</a>' in html


# --- service ends ---------------------------------------------------------------------------


def test_service_ends_lists_every_device_overdue_first(manager_client, store):
    now = timezone.now()
    current = [p for p in store.products if p[0] != GONE]
    known = sorted((p for p in current if p[3] is not None), key=lambda p: p[3])
    expected = [p[2] for p in known] + [p[2] for p in current if p[3] is None]

    rows = read_csv(manager_client.get(URLS["service-ends"] + "?format=csv"))

    header = rows[0]
    serials = [row[header.index("Serial number")] for row in rows[1:]]
    assert serials == expected
    states = {row[header.index("Serial number")]: row[header.index("State")] for row in rows[1:]}
    for _car, _kind, serial, ends in current:
        want = ("not known" if ends is None else "ended" if ends < now
                else "ends within 30 days" if ends <= now + timedelta(days=30) else "running")
        assert states[serial] == want
    html = manager_client.get(URLS["service-ends"]).content.decode()
    assert html.index("BOX-B") < html.index("IQ-B") < html.index("BOX-A")
    assert "BOX-G" not in html  # a car no longer in the fleet


# --- mileage -------------------------------------------------------------------------------


def expected_mileage(store, car_id):
    samples = sorted(store.samples.get(car_id, []))
    before = [s for s in samples if s[0] <= PERIOD_START]
    inside = [s for s in samples if PERIOD_START <= s[0] < PERIOD_END]
    first = before[-1] if before else (inside[0] if inside else None)
    last = ([s for s in samples if s[0] < PERIOD_END] or [None])[-1]
    if first is None or last is None:
        return None, None, None
    return first[3], last[3], round(last[3] - first[3], 1)


def test_mileage_page_csv_and_xlsx_agree_with_the_stored_samples(berlin, manager_client, store):
    html = manager_client.get(URLS["mileage"], PERIOD).content.decode()
    assert "Alpha" in html and "Gone" not in html

    rows = by_car(read_csv(manager_client.get(URLS["mileage"], {**PERIOD, "format": "csv"})))
    sheet = read_xlsx(manager_client.get(URLS["mileage"], {**PERIOD, "format": "xlsx"}))
    cells = by_car(sheet)
    assert set(rows) == set(cells) == {str(ALPHA), str(BRAVO), str(CHARLIE)}
    for car_id in (ALPHA, BRAVO, CHARLIE):
        start, end, km = expected_mileage(store, car_id)
        csv_row, xlsx_row = rows[str(car_id)], cells[str(car_id)]
        assert (xlsx_row[3], xlsx_row[5], xlsx_row[7]) == (start, end, km)
        assert csv_row[7] == ("" if km is None else str(km))
    # Reading times are in the reader's zone in the XLSX (naive, Berlin wall time).
    alpha = cells[str(ALPHA)]
    berlin_zone = ZoneInfo(ZONE)
    assert alpha[4] == store.samples[ALPHA][0][0].astimezone(berlin_zone).replace(tzinfo=None)


def test_mileage_of_one_car_has_a_table_per_day(berlin, manager_client, store):
    html = manager_client.get(URLS["mileage"], {**PERIOD, "car": ALPHA}).content.decode()
    assert 'id="per-day-table"' in html
    assert f'<option value="{ALPHA}" selected>' in html and 'name="car" multiple' in html
    # 3 November: 1000.0 the day before → 1042.5 at the day's end.
    assert "42.5" in html


def test_mileage_of_one_car_has_a_chart_per_day_with_the_tables_figures(berlin, manager_client,
                                                                        store):
    import json
    import re

    html = manager_client.get(URLS["mileage"], {**PERIOD, "car": ALPHA}).content.decode()
    chart = json.loads(re.search(r'<script id="per-day-chart-data" type="application/json">'
                                 r'(.*?)</script>', html, re.S).group(1))
    assert len(chart["labels"]) == len(chart["values"]) == 30  # every day of November
    # The table's own figures (to 0.1 km), in the same days: 3 and 20 November.
    assert chart["values"][2] == 42.5 and chart["values"][19] == round(1100.25 - 1042.5, 1)
    assert [day for day, value in enumerate(chart["values"]) if value] == [2, 19]
    assert 'id="per-day-chart"' in html and "js/mileage_chart.js" in html
    assert 'id="per-day-table"' in html  # the chart's accessible alternative stays


def test_a_car_outside_the_store_cannot_be_chosen(manager_client, store):
    response = manager_client.get(URLS["mileage"], {**PERIOD, "car": DEMO.other_car_id})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_a_period_backwards_is_refused(manager_client, store):
    response = manager_client.get(URLS["mileage"], {"from": "2026-11-05", "to": "2026-11-01"})
    assert response.status_code == 400
    assert "The last day is before the first day." in response.content.decode()


# --- usage sessions ------------------------------------------------------------------------


def nearest_odometer(store, car_id, moment):
    return min(store.samples[car_id], key=lambda s: abs((s[0] - moment).total_seconds()))[3]


def test_sessions_pair_openings_with_closings_and_name_the_person(berlin, manager_client,
                                                                  store):
    opened, closed, reopened = store.events[ALPHA]
    rows = read_xlsx(manager_client.get(URLS["sessions"], {**PERIOD, "format": "xlsx"}))
    header, first, second = rows
    assert header[3:5] == ["Person", "flinkey user"]
    start_odo = nearest_odometer(store, ALPHA, opened[0])
    end_odo = nearest_odometer(store, ALPHA, closed[0])
    berlin_zone = ZoneInfo(ZONE)
    assert first[:5] == [ALPHA, "Alpha", "M-A 1", PERSON, DEMO.user_id]
    assert first[5:7] == [opened[0].astimezone(berlin_zone).replace(tzinfo=None),
                          closed[0].astimezone(berlin_zone).replace(tzinfo=None)]
    assert first[7:] == [opened[3], opened[4], closed[3], closed[4], start_odo, end_odo,
                         round(end_odo - start_odo, 1)]
    assert second[3:5] == [None, STRANGER] and second[6] is None  # still open
    # Charlie's closing without an opening and the gone car's opening make no session.
    assert len(rows) == 3

    html = manager_client.get(URLS["sessions"], PERIOD).content.decode()
    assert PERSON in html and str(STRANGER) in html


def test_who_had_the_car_at_a_moment(berlin, manager_client, store):
    query = {**PERIOD, "who": ALPHA}
    html = manager_client.get(URLS["sessions"], {**query, "at": "2026-11-03 09:30"}).content \
        .decode()  # 08:30 UTC: between the opening (07:55) and the closing (10:05)
    answer = html[html.index('id="who-had-answer"'):]
    assert "was open by" in answer and PERSON in answer[:answer.index("</div>")]
    assert f'<option value="{ALPHA}" selected>Alpha (M-A 1)</option>' in html

    html = manager_client.get(URLS["sessions"], {**query, "at": "2026-11-10 12:00"}).content \
        .decode()
    answer = html[html.index('id="who-had-answer"'):]
    assert "Nobody had the car open" in answer

    html = manager_client.get(URLS["sessions"], {**query, "at": "2026-11-25 12:00"}).content \
        .decode()  # after the stranger's opening, never closed
    answer = html[html.index('id="who-had-answer"'):]
    assert "was open by" in answer and str(STRANGER) in answer


def test_who_had_refuses_a_time_the_clocks_skip(berlin, manager_client, store):
    html = manager_client.get(URLS["sessions"], {**PERIOD, "who": ALPHA,
                                                 "at": "2026-03-29 02:30"}).content.decode()
    assert ("2026-03-29 02:30 does not exist in Europe/Berlin: the clocks are put forward "
            "over it on that day.") in html
    assert 'id="who-had-answer"' not in html


# --- utilisation ---------------------------------------------------------------------------


def expected_days_used(store, car_id) -> set:
    zone = ZoneInfo(ZONE)
    days = {moment.astimezone(zone).date() for moment, *_rest in store.events.get(car_id, [])
            if PERIOD_START <= moment < PERIOD_END}
    by_day: dict = {}
    for moment, lat, lon, odometer in store.samples.get(car_id, []):
        if PERIOD_START <= moment < PERIOD_END:
            by_day.setdefault(moment.astimezone(zone).date(), set()).add((lat, lon, odometer))
    return days | {day for day, readings in by_day.items() if len(readings) > 1}


def test_utilisation_counts_days_used_idle_cars_and_silent_devices(berlin, manager_client,
                                                                   store):
    rows = by_car(read_csv(manager_client.get(URLS["utilisation"],
                                              {**PERIOD, "idle": 7, "format": "csv"})))
    assert set(rows) == {str(ALPHA), str(BRAVO), str(CHARLIE)}
    for car_id in (ALPHA, BRAVO, CHARLIE):
        used = expected_days_used(store, car_id)
        row = rows[str(car_id)]
        assert row[3:6] == [str(len(used)), "30", str(round(100 * len(used) / 30))]
    zone = ZoneInfo(ZONE)
    assert rows[str(ALPHA)][6] == str(max(expected_days_used(store, ALPHA)))
    assert rows[str(ALPHA)][6] == str(store.events[ALPHA][-1][0].astimezone(zone).date())
    # Idle: nothing in the last 7 days (from 24 November): Alpha's last use was the 20th.
    assert [rows[str(car)][7] for car in (ALPHA, BRAVO, CHARLIE)] == ["yes", "yes", "yes"]
    # Silent: an IQ without a position for more than 24 hours; Charlie has no IQ.
    assert [rows[str(car)][10] for car in (ALPHA, BRAVO, CHARLIE)] == ["no", "yes", "no"]
    # 14 days reach back to the 17th: Alpha is in use.
    rows = by_car(read_csv(manager_client.get(URLS["utilisation"],
                                              {**PERIOD, "idle": 14, "format": "csv"})))
    assert rows[str(ALPHA)][7] == "no"


# --- roles and languages -------------------------------------------------------------------


def test_support_sees_every_report_and_its_files(support_client, store):
    for url in URLS.values():
        assert support_client.get(url, PERIOD).status_code == 200
        assert support_client.get(url, {**PERIOD, "format": "csv"}).status_code == 200
        assert support_client.get(url, {**PERIOD, "format": "xlsx"}).status_code == 200


def test_a_german_reader_gets_german_pages_and_files_excel_opens_right(manager, manager_client,
                                                                       store):
    UserPreferences.objects.update_or_create(user=manager,
                                             defaults={"time_zone": ZONE, "language": "de"})
    html = manager_client.get(URLS["sessions"], PERIOD).content.decode()
    assert "Nutzungen" in html and "Geöffnet am" in html

    response = manager_client.get(URLS["mileage"], {**PERIOD, "format": "csv"})
    data = b"".join(response.streaming_content)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Fahrzeug", "Name", "Kennzeichen"]
    _start, _end, km = expected_mileage(store, ALPHA)
    assert by_car(rows)[str(ALPHA)][7] == str(km).replace(".", ",")

    rows = read_csv(manager_client.get(URLS["utilisation"], {**PERIOD, "format": "csv"}),
                    delimiter=";")
    assert by_car(rows)[str(BRAVO)][10] == "ja"
    sheet = read_xlsx(manager_client.get(URLS["service-ends"], {"format": "xlsx"}))
    assert sheet[0][5] == "Service bis"


def test_a_german_reader_sees_coordinates_with_a_decimal_point(manager, manager_client, store):
    # README, Languages: coordinates are written one way in every language (people paste them
    # into maps and GPS devices); a German "48,10000" would read as two numbers.
    UserPreferences.objects.update_or_create(user=manager, defaults={"language": "de"})
    html = manager_client.get(URLS["sessions"], PERIOD).content.decode()
    assert "Breitengrad beim Öffnen" in html
    assert "48.10000" in html and "11.50000" in html and "48,1" not in html


def test_the_catalogue_builds_without_a_request(store):
    for report in REPORTS.values():
        table = report.build(store.store, start=PERIOD_START, end=PERIOD_END)
        assert table.columns and all(len(row) == len(table.columns) for row in table.rows)
    sessions = REPORTS["sessions"].build(store.store, start=PERIOD_START, end=PERIOD_END,
                                         car_ids=[CHARLIE])
    assert sessions.rows == []
    assert Event.OPENED == "CarOpened"


# --- against the sandbox's seeded fleet, synced --------------------------------------------


def test_service_ends_of_the_synced_demo_fleet_match_what_flinkey_lists(
        manager_client, flinkey_api, fast_sync):
    from fleetstore import sync
    from fleetstore.tests.conftest import make_fleet
    from flinkey import FlinkeyClient, NotFoundError

    fleet = make_fleet(flinkey_api.url)
    sync.full_sync(fleet.pk)
    client = FlinkeyClient(flinkey_api.url, api_key=DEMO.api_key, username=DEMO.username,
                           password=DEMO.password, customer_id=DEMO.customer_id)
    now = timezone.now()
    soon = now + timedelta(days=30)
    expected = {}
    for car in client.list_cars():
        try:
            products = client.list_products(car.id)
        except NotFoundError:  # a car without devices
            continue
        for product in products:
            expected[str(product.id)] = product.service_ends_at
    rows = read_csv(manager_client.get(URLS["service-ends"] + "?format=csv"))
    header = rows[0]
    assert len(rows) - 1 == len(expected)
    ended = sum(1 for ends in expected.values() if ends is not None and ends < now)
    ending = sum(1 for ends in expected.values() if ends is not None and now <= ends <= soon)
    states = [row[header.index("State")] for row in rows[1:]]
    assert states.count("ended") == ended and states.count("ends within 30 days") == ending
    # Overdue first: the "ended" rows lead.
    assert states[:ended] == ["ended"] * ended and ended + ending > 0


HOSTILE = ["x", "-1", str(2**63), "1900-01-01", "0001-01-01", "9999-12-31T23:59:59Z",
           "2026-10-25 02:30", "2026-03-29 02:30", "\x00"]


@pytest.mark.parametrize("name", ["from", "to", "car", "who", "at", "idle", "format"])
def test_no_hostile_parameter_is_answered_500(manager_client, store, name):
    for url in URLS.values():
        for value in HOSTILE:
            response = manager_client.get(url, {name: value, "who": ALPHA, "at": "2026-11-03"}
                                          if name not in ("who", "at") else {name: value})
            assert response.status_code in (200, 400), (url, name, value)


def test_a_long_report_comes_in_pages_and_the_files_hold_every_row(manager_client, store,
                                                                   monkeypatch):
    monkeypatch.setattr("reports.rendering.PAGE_ROWS", 2)
    html = manager_client.get(URLS["mileage"], PERIOD).content.decode()
    table = html[html.index('id="report-table"'):]
    assert "Rows 1–2 of 3" in html and "Alpha" in table and "Charlie" not in table
    assert 'rel="next"' in html and "page=2" in html
    html = manager_client.get(URLS["mileage"], {**PERIOD, "page": 2}).content.decode()
    table = html[html.index('id="report-table"'):]
    assert "Charlie" in table and "Alpha" not in table and 'rel="prev"' in html
    # The pager and the downloads keep the period; a file holds every page, so no page=.
    period = {name: [value] for name, value in PERIOD.items()}
    assert query_of(html, 'id="report-csv" href="([^"]+)"') == {**period, "format": ["csv"]}
    assert query_of(html, 'id="report-xlsx" href="([^"]+)"') == {**period, "format": ["xlsx"]}
    assert query_of(html, 'href="([^"]+)" rel="prev"') == {**period, "page": ["1"]}
    assert len(read_csv(manager_client.get(URLS["mileage"], {**PERIOD, "format": "csv",
                                                             "page": 2}))) == 1 + 3


def query_of(html: str, pattern: str) -> dict:
    """The query of the first link `pattern` finds (its group: the href), parsed."""
    return parse_qs(urlsplit(html_unescape(re.search(pattern, html)[1])).query)


def test_names_and_places_in_the_page_are_text_never_markup(manager_client, store):
    from fleetstore.models import StoredCar
    from people.models import Person

    StoredCar.objects.filter(car_id=ALPHA).update(name="<script>alert(1)</script>")
    Person.objects.filter(flinkey_user_id=DEMO.user_id).update(name="<b>Erika</b>")
    html = manager_client.get(URLS["sessions"], PERIOD).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert "<b>Erika</b>" not in html and "&lt;b&gt;Erika&lt;/b&gt;" in html


def test_a_session_begun_before_the_period_and_ended_in_it_is_listed(store):
    from fleetstore.models import StoredEvent
    from reports.tests.conftest import at

    bravo = store.cars[BRAVO]
    for number, (moment, kind) in enumerate([
            (at("2026-10-25T08:00"), Event.OPENED), (at("2026-10-26T08:00"), Event.CLOSED),
            (at("2026-10-30T08:00"), Event.OPENED), (at("2026-11-02T08:00"), Event.CLOSED)]):
        StoredEvent.objects.create(fleet=store.store, car=bravo, event_id=95_000 + number,
                                   user_id=DEMO.user_id, type=kind, utc_date_time=moment,
                                   learnt_at=timezone.now())
    table = REPORTS["sessions"].build(store.store, start=PERIOD_START, end=PERIOD_END,
                                      car_ids=[BRAVO])
    assert [(row["start"], row["end"]) for row in table.dicts()] == [
        (at("2026-10-30T08:00"), at("2026-11-02T08:00"))]
