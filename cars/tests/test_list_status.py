"""The car list with status (issue 21): columns, filters and the total from the fleet store.

The expected values are worked out here from the rows the sync wrote into the store (the
sandbox's seeded fleet), by plain Python over the models, not by the list's own queries.
"""

import re
from datetime import timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone, translation
from django.utils.formats import date_format

from config.testing import hx, logged_in, make_user
from fleetadmin.web.dates import local_time
from fleetadmin.web.durations import ago_text, in_text
from fleetstore.models import FleetSync, StoredCar, StoredEvent, StoredProduct
from fleetstore.tests.conftest import make_fleet

pytestmark = pytest.mark.django_db

LIST = "/cars/"
STATUS_LABELS = ("Devices", "Position", "Open/closed", "Service end", "Odometer")


@pytest.fixture
def store(synced_demo_fleet, manager_client, flinkey_api, settings):
    """The demo fleet synced into the store (synced once per module: config.testing's
    synced_demo_fleet); the manager's reach proven, the log empty."""
    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    fleet = synced_demo_fleet()
    assert fleet.synced_at is not None
    manager_client.get(LIST)  # the token and the proof of reach are fetched once, then kept
    flinkey_api.clear_requests()
    return fleet


# --- what the store holds, worked out independently --------------------------------------


def stored_cars(fleet):
    return list(StoredCar.objects.filter(fleet=fleet, gone_at__isnull=True))


def newest_event_type(car):
    events = list(StoredEvent.objects.filter(car=car))
    if not events:
        return None
    return max(events, key=lambda e: (e.utc_date_time, e.utc_ticks, e.event_id)).type


def soonest_end(car):
    ends = [p.service_ends_at for p in StoredProduct.objects.filter(car=car)
            if p.service_ends_at is not None]
    return min(ends) if ends else None


def is_silent(car, now):
    return bool(car.has_iq) and (car.fix_at is None or car.fix_at < now - timedelta(hours=24))


def expected_ids(fleet, now, wanted):
    return {car.car_id for car in stored_cars(fleet) if wanted(car, now)}


FILTERS = {
    "service=ended": lambda car, now: (end := soonest_end(car)) is not None and end <= now,
    "service=ending": lambda car, now: (end := soonest_end(car)) is not None
    and now < end <= now + timedelta(days=30),
    "state=open": lambda car, now: newest_event_type(car) == "CarOpened",
    "silent=1": is_silent,
    "iq=none": lambda car, now: car.has_iq is False,
}


# --- reading the page ---------------------------------------------------------------------


def text(html: str) -> str:
    """The cell's words, without tags; any run of spaces (no-break ones too) one space."""
    return words(unescape(re.sub(r"<[^>]+>", " ", html)))


def words(value: str) -> str:
    return " ".join(value.split())


def rows(html: str) -> dict[int, dict[str, str]]:
    """Each row's cells by their label (the raw HTML of the cell), by car id."""
    found = {}
    for car_id, body in re.findall(r'<tr id="car-row-(\d+)"[^>]*>(.*?)</tr>', html, re.S):
        found[int(car_id)] = dict(re.findall(r'<td data-label="([^"]+)"[^>]*>(.*?)</td>',
                                             body, re.S))
    return found


def listed(client, query: str = "", **headers) -> tuple[list[int], object]:
    response = client.get(f"{LIST}?{query}", headers=headers)
    assert response.status_code == 200
    return [car.id for car in response.context["listing"].page.items], response


# --- columns ------------------------------------------------------------------------------


def test_every_status_column_shows_what_the_store_holds(manager, manager_client, store):
    from preferences import services as preferences

    preferences.save_preferences(user=manager, language="en", time_zone="Asia/Tokyo")
    response = manager_client.get(LIST, {"size": 100})
    with timezone.override("Asia/Tokyo"):  # what the page did for this user
        check_columns(response, store)


def check_columns(response, store):
    html = response.content.decode()
    now = response.context["listing"].now
    table = rows(html)
    cars = stored_cars(store)
    assert set(table) == {car.car_id for car in cars}
    for label in STATUS_LABELS:
        shown = re.escape(label).replace("/", "/<wbr>")  # a line may break after a slash
        assert re.search(rf'class="car-sort[^"]*">{shown}(<span|</a>)', html), label
    seen = {"ended": 0, "ending": 0, "open": 0, "closed": 0, "odometer": 0, "position": 0}
    for car in cars:
        cells = table[car.car_id]
        # Devices: Box and IQ as the products say.
        types = set(StoredProduct.objects.filter(car=car).values_list("type", flat=True))
        devices = [name for name, kind in (("Box", "flinkey Box"), ("IQ", "flinkey IQ"))
                   if kind in types]
        assert text(cells["Devices"]) == (", ".join(devices) or "none"), car.name
        # Position: its age in words, the exact time in the user's zone as the title.
        if car.fix_at is not None:
            seen["position"] += 1
            assert f'datetime="{car.fix_at.isoformat()}"' in cells["Position"]
            assert f'title="{local_time(car.fix_at)}"' in cells["Position"]
            assert "JST" in cells["Position"]
            assert text(cells["Position"]).startswith(words(ago_text(car.fix_at, now)))
            assert ("silent" in text(cells["Position"])) == is_silent(car, now)
        else:
            assert text(cells["Position"]) == ("never" if car.has_iq else "—")
        # Open/closed: the newest stored event.
        kind = newest_event_type(car)
        state = {"CarOpened": "open", "CarClosed": "closed", None: "—"}[kind]
        assert text(cells["Open/closed"]).split(" ")[0] == state, car.name
        if kind:
            seen[state] += 1
        # The soonest service end: its day, "ended" when past, highlighted within 30 days.
        end = soonest_end(car)
        if end is None:
            assert text(cells["Service end"]) == "—"
        else:
            day = date_format(timezone.localtime(end), "SHORT_DATE_FORMAT")
            if end <= now:
                seen["ended"] += 1
                assert text(cells["Service end"]) == f"ended {day}"
                assert 'class="badge service-ended"' in cells["Service end"]
            elif end <= now + timedelta(days=30):
                seen["ending"] += 1
                assert text(cells["Service end"]) == f"Ends {words(in_text(end, now))} {day}"
                assert 'class="badge service-ending"' in cells["Service end"]
            else:
                assert text(cells["Service end"]) == day
        # Odometer: whole km with the language's grouping.
        if car.odometer is None:
            assert text(cells["Odometer"]) == "—"
        else:
            seen["odometer"] += 1
            assert text(cells["Odometer"]) == f"{round(car.odometer):,} km"
    # The seeded fleet has every case, so none of the branches above went untried.
    assert all(seen.values()), seen


def test_times_are_in_the_users_zone_and_language(manager, manager_client, store):
    from preferences import services as preferences

    preferences.save_preferences(user=manager, language="de", time_zone="America/New_York")
    response = manager_client.get(LIST, {"size": 100, "state": "open"})
    html = response.content.decode()
    now = response.context["listing"].now
    car = next(car for car in stored_cars(store) if newest_event_type(car) == "CarOpened")
    cells = rows(html)[car.car_id]
    event = max(StoredEvent.objects.filter(car=car),
                key=lambda e: (e.utc_date_time, e.utc_ticks, e.event_id))
    with translation.override("de"), timezone.override("America/New_York"):
        title = local_time(event.utc_date_time)
        ago = words(ago_text(event.utc_date_time, now))
    assert re.search(r"E[SD]T", title)
    assert f'title="{title}"' in cells["Geöffnet/geschlossen"]
    assert text(cells["Geöffnet/geschlossen"]) == f"geöffnet {ago}"
    assert ago.startswith("vor ")


# --- filters ------------------------------------------------------------------------------


@pytest.mark.parametrize("query", list(FILTERS))
def test_each_filter_lists_exactly_the_cars_it_names(manager_client, store, query):
    ids, response = listed(manager_client, f"{query}&size=100")
    expected = expected_ids(store, response.context["listing"].now, FILTERS[query])
    assert expected, f"the seeded fleet has no car for {query}"
    assert set(ids) == expected and len(ids) == len(expected)
    assert response.context["listing"].total == len(expected)


def test_filters_combine_with_each_other(manager_client, store):
    ids, response = listed(manager_client, "iq=none&state=open&size=100")
    now = response.context["listing"].now
    assert set(ids) == (expected_ids(store, now, FILTERS["iq=none"])
                        & expected_ids(store, now, FILTERS["state=open"]))


def test_a_filter_with_search_sort_and_pages_keeps_every_parameter(manager_client, store):
    query = "q=a&sort=-brand&size=10&iq=none"
    first_ids, first = listed(manager_client, query, **hx("car-table"))
    now = first.context["listing"].now
    cars = [car for car in stored_cars(store) if FILTERS["iq=none"](car, now)
            and any("a" in (getattr(car, f) or "").lower()
                    for f in ("name", "license_plate", "vin", "brand", "model"))]
    # flinkey's order: code points, empty brands last descending, then the id.
    cars.sort(key=lambda car: (car.brand is not None, car.brand or "", car.car_id), reverse=True)
    assert len(cars) > 10, "the test needs more than one page"
    assert first_ids == [car.car_id for car in cars[:10]]
    listing = first.context["listing"]
    assert listing.total == len(cars)
    assert listing.range_text == f"1–10 of {len(cars)}"
    # Every link of the table keeps the filter, the search, the sort and the page size.
    html = first.content.decode()
    wanted = {"q": ["a"], "sort": ["-brand"], "size": ["10"], "iq": ["none"]}
    next_query = parse_qs(urlsplit(listing.next_url).query)
    assert next_query == {**wanted, "page": ["2"]}
    for column in first.context["columns"]:
        assert {k: v for k, v in parse_qs(urlsplit(column["url"]).query).items()
                if k != "sort"} == {k: v for k, v in wanted.items() if k != "sort"}
    car_link = re.search(rf'href="/cars/{first_ids[0]}/\?([^"]+)"', html).group(1)
    assert parse_qs(unescape(car_link)) == wanted
    second_ids, second = listed(manager_client, urlsplit(listing.next_url).query,
                                **hx("car-table"))
    assert second_ids == [car.car_id for car in cars[10:20]]
    assert parse_qs(urlsplit(second.context["listing"].prev_url).query) == wanted
    assert second.context["listing"].range_text == f"11–20 of {len(cars)}"
    # The address bar gets the canonical URL with the filter.
    assert parse_qs(urlsplit(second["HX-Push-Url"]).query) == {**wanted, "page": ["2"]}


def test_the_filter_controls_show_the_filters_in_force(manager_client, store):
    html = manager_client.get(LIST, {"service": "ending", "state": "open", "silent": "1",
                                     "iq": "none"}).content.decode()
    assert '<option value="ending" selected>' in html
    for name in ("car-filter-open", "car-filter-silent", "car-filter-iq"):
        assert re.search(rf'id="{name}" name="\w+" value="\w+" checked>', html), name
    # They belong to the search form, and a change reloads the table.
    start = html.index('<form id="car-search"')
    form = html[start:html.index("</form>", start)]
    assert 'id="car-filters"' in form and "change from:#car-filters" in form


def test_an_unknown_filter_value_is_no_filter(manager_client, store):
    ids, response = listed(manager_client, "service=soon&state=closed&silent=yes&iq=some&size=100")
    assert len(ids) == len(stored_cars(store))
    assert response.context["params"].as_query() == {"size": "100"}


def test_no_match_for_the_filters_offers_to_clear_them(manager_client, store):
    html = manager_client.get(LIST, {"q": "zzz-none", "service": "ended", "sort": "vin"},
                              headers=hx("car-table")).content.decode()
    assert "No car matches “zzz-none” with these filters." in html
    assert 'id="car-clear-filters"' in html and 'href="/cars/?q=zzz-none&amp;sort=vin"' in html


# --- sorting by status -------------------------------------------------------------------


def devices_key(car):
    if car.has_iq is None:
        return None
    box = StoredProduct.objects.filter(car=car, type="flinkey Box").exists()
    return int(box) + int(bool(car.has_iq))


# Each status sort's key, worked out from the rows; None is "unknown" (the cell's "—").
# The position column shows an age: its ascending order is the newest fix first.
STATUS_KEYS = {
    "devices": devices_key,
    "position": lambda car: None if car.fix_at is None else -car.fix_at.timestamp(),
    "state": lambda car: {"CarClosed": 0, "CarOpened": 1}.get(newest_event_type(car)),
    "service_end": soonest_end,
    "odometer": lambda car: car.odometer,
}


def expected_order(cars, field, descending):
    """Known keys in the order asked, the unknown last; names (code points), then ids,
    ascending among equals in both directions."""
    key = STATUS_KEYS[field]
    keyed = [(key(car), car.name, car.car_id) for car in cars]
    known = sorted((entry for entry in keyed if entry[0] is not None),
                   key=lambda entry: (entry[1], entry[2]))
    known.sort(key=lambda entry: entry[0], reverse=descending)  # stable: names stay in order
    unknown = sorted((entry[1], entry[2]) for entry in keyed if entry[0] is None)
    return [entry[2] for entry in known] + [car_id for _name, car_id in unknown]


@pytest.mark.parametrize("field", list(STATUS_KEYS))
def test_each_status_column_sorts_both_ways_unknown_last_names_breaking_ties(
        manager_client, store, field):
    cars = stored_cars(store)
    keys = [STATUS_KEYS[field](car) for car in cars]
    assert len({key for key in keys if key is not None}) > 1, f"one {field} for all: no test"
    if field in ("devices", "state"):
        assert len(keys) - len(set(keys)) > 5, "ties, for the names to break"

    for descending in (False, True):
        sort = f"-{field}" if descending else field
        shown, response = listed(manager_client, f"sort={sort}&size=100")
        assert shown == expected_order(cars, field, descending), sort


def test_some_cars_have_no_odometer_and_come_last_both_ways(manager_client, store):
    cars = stored_cars(store)
    StoredCar.objects.filter(pk__in=[car.pk for car in cars[::3]]).update(odometer=None)
    StoredCar.objects.filter(pk=cars[1].pk).update(odometer=0)
    cars = stored_cars(store)
    unknown = {car.car_id for car in cars if car.odometer is None}
    assert unknown

    for sort in ("odometer", "-odometer"):
        shown, _response = listed(manager_client, f"sort={sort}&size=100")
        assert set(shown[-len(unknown):]) == unknown, sort
        assert shown == expected_order(cars, "odometer", sort.startswith("-"))


def test_a_status_sort_with_filter_search_and_pages(manager_client, store):
    # With a filter, then its second page: the same order, continued.
    with_filter = [car for car in stored_cars(store) if car.has_iq is False]
    order = expected_order(with_filter, "service_end", True)
    shown, response = listed(manager_client, "sort=-service_end&size=10&iq=none")
    assert shown == order[:10]
    assert len(order) > 10, "the filter should leave two pages"
    shown, response = listed(manager_client, "sort=-service_end&size=10&iq=none&page=2")
    assert shown == order[10:20]
    html = response.content.decode()
    # The pager and the headers keep the sort and the filter.
    assert 'href="/cars/?sort=-service_end&amp;size=10&amp;iq=none"' in html  # ← page 1
    # A search narrows the sorted list, in the same order.
    term = "golf"
    searched = [car for car in stored_cars(store)
                if any(term in (getattr(car, name) or "").lower()
                       for name in ("name", "license_plate", "vin", "brand", "model"))]
    assert searched
    shown, _ = listed(manager_client, f"sort=odometer&q={term}&size=100")
    assert shown == expected_order(searched, "odometer", False)


def test_the_status_headers_are_sort_links_with_aria_sort(manager_client, store):
    html = manager_client.get(LIST, {"sort": "odometer", "service": "ended"}).content.decode()

    headers = re.findall(r'<th scope="col"[^>]*>\s*<a href="[^"]+" id="car-sort-(\w+)"', html)
    links = {field: unescape(url) for url, field in re.findall(
        r'<a href="([^"]+)" id="car-sort-(\w+)"', html)}
    assert headers == ["name", "license_plate", "brand", "model", "vin", "devices", "position",
                       "state", "service_end", "odometer"]  # the links sit in the headers
    # The sorted column: aria-sort, and its link reverses it; the others sort ascending.
    assert re.search(r'<th scope="col" class="number" aria-sort="ascending">\s*'
                     r'<a href="[^"]+" id="car-sort-odometer"', html)
    assert links["odometer"] == "/cars/?sort=-odometer&service=ended"
    for field in ("devices", "position", "state", "service_end"):
        assert links[field] == f"/cars/?sort={field}&service=ended"
    assert links["name"] == "/cars/?service=ended"
    assert html.count("aria-sort=") == 1
    # Descending: the link goes back to ascending.
    html = manager_client.get(LIST, {"sort": "-position"}).content.decode()
    assert re.search(r'aria-sort="descending">\s*<a href="/cars/\?sort=position" '
                     r'id="car-sort-position"', html)
    # The phone's sort menu offers the status orders in words.
    for value, label in (("position", "Position, newest first"),
                         ("-odometer", "Odometer, highest first"),
                         ("state", "Open/closed, closed first")):
        assert f'<option value="{value}"' in html and label in html
    # Without the store (flinkey's list) such a sort is the default order: by name.
    FleetSync.objects.filter(pk=store.pk).update(enabled=False)
    by_name, _ = listed(manager_client, "")
    shown, response = listed(manager_client, "sort=-odometer")
    html = response.content.decode()
    assert shown == by_name
    assert 'id="car-sort-odometer"' not in html and "highest first" not in html
    assert re.search(r'aria-sort="ascending">\s*<a href="/cars/\?sort=-name" '
                     r'id="car-sort-name"', html)


def test_the_status_sorts_in_german(manager, manager_client, store):
    from preferences import services as preferences

    preferences.save_preferences(user=manager, language="de")
    html = manager_client.get(LIST, {"sort": "-service_end"}).content.decode()

    for label in ("Geräte, wenigste zuerst", "Position, neueste zuerst",
                  "Service-Ende, späteste zuerst", "Kilometerstand, höchster zuerst",
                  "Geöffnet/geschlossen, geöffnete zuerst"):
        assert label in html, label
    assert re.search(r'aria-sort="descending">\s*<a href="/cars/\?sort=service_end"', html)


# --- the total ----------------------------------------------------------------------------


def more_cars(fleet, count):
    now = timezone.now()
    StoredCar.objects.bulk_create(
        StoredCar(fleet=fleet, car_id=900_000 + number, name=f"Zusatz {number:04}",
                  learnt_at=now) for number in range(count))


def test_the_total_in_english_and_german(manager, manager_client, store):
    more_cars(store, 1000)  # 62 + 1,000
    html = manager_client.get(LIST).content.decode()
    assert re.search(r'id="car-count">1–25 of 1,062<', html)
    html = manager_client.get(LIST, {"page": 42, "size": 25}).content.decode()
    assert re.search(r'id="car-count">1,026–1,050 of 1,062<', html)
    from preferences import services as preferences

    preferences.save_preferences(user=manager, language="de")
    html = manager_client.get(LIST).content.decode()
    assert re.search(r'id="car-count">1–25 von 1.062<', html)


# --- calls --------------------------------------------------------------------------------


def test_no_flinkey_call_when_the_store_answers_the_page(manager_client, flinkey_api, store):
    for query in ("", "page=2", "q=golf&sort=-vin", "service=ended", "iq=none&size=10&page=2",
                  "state=open&silent=1"):
        response = manager_client.get(f"{LIST}?{query}", headers=hx("car-table"))
        assert response.status_code == 200
        assert response.context["listing"].store == store
    assert flinkey_api.request_count() == 0


def test_the_stored_list_is_the_live_list_page_for_page(manager_client, flinkey_api, store):
    stored = [listed(manager_client, q)[0] for q in ("", "page=2&size=10", "q=golf&sort=-model",
                                                     "sort=license_plate&size=50&page=2")]
    FleetSync.objects.filter(pk=store.pk).update(enabled=False)
    live = [listed(manager_client, q)[0] for q in ("", "page=2&size=10", "q=golf&sort=-model",
                                                   "sort=license_plate&size=50&page=2")]
    assert stored == live


def test_without_a_store_the_list_asks_flinkey_once_and_says_the_store_is_off(
        manager_client, flinkey_api):
    manager_client.get(LIST)
    flinkey_api.clear_requests()
    response = manager_client.get(LIST)
    html = response.content.decode()
    assert flinkey_api.request_count() == 1
    assert 'id="car-filters-off"' in html and 'id="car-filters"' not in html
    for label in STATUS_LABELS:
        assert f'data-label="{label}"' not in html
    assert "Page 1 · cars 1–25" in html


def test_a_filter_without_a_store_asks_nothing_and_shows_no_wrong_list(
        manager_client, flinkey_api, settings):
    settings.FLEETSTORE_CALLS_PER_MINUTE = 1_000_000
    make_fleet(flinkey_api.url)  # on, but its first sync has not finished
    manager_client.get(LIST)
    flinkey_api.clear_requests()
    response = manager_client.get(LIST, {"service": "ended", "q": "golf"},
                                  headers=hx("car-table"))
    html = response.content.decode()
    assert response.status_code == 200
    assert flinkey_api.request_count() == 0
    assert 'id="car-store-off"' in html and 'id="car-row-' not in html
    assert "These filters need the fleet store" in html
    assert 'href="/cars/?q=golf"' in html  # the same search, without the filter


def test_an_edited_row_keeps_its_status_cells(manager_client, flinkey_api, store):
    from flinkey_sandbox import DEMO

    car = StoredCar.objects.get(fleet=store, car_id=DEMO.car_id)
    form = manager_client.get(f"/cars/{car.car_id}/edit/").context["form"]
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({f"initial-{name}": value for name, value in data.items()}, model="Edited")
    response = manager_client.post(f"/cars/{car.car_id}/edit/?iq=none", data,
                                   headers=hx("dialog"))
    html = response.content.decode()
    assert f'<tr id="car-row-{car.car_id}" hx-swap-oob="true">' in html
    cells = rows(html)[car.car_id]
    assert set(STATUS_LABELS) <= set(cells)
    assert "Edited" in html


# --- roles --------------------------------------------------------------------------------


def test_support_sees_the_status_and_the_filters_and_changes_nothing(flinkey_api, store):
    support = logged_in(make_user("helpdesk", role="support"))
    response = support.get(LIST, {"service": "ended"})
    html = response.content.decode()
    ids = [car.id for car in response.context["listing"].page.items]
    assert set(ids) == expected_ids(store, response.context["listing"].now,
                                    FILTERS["service=ended"])
    assert 'id="car-filters"' in html and 'data-label="Service end"' in html
    assert "New car" not in html and "/edit/" not in html and 'id="car-bulk"' not in html


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_rows_ages_are_the_same_words_as_everywhere_else(language):
    # The rows write ages with a shortcut (cars/templatetags/car_rows.py `_ago`); it must
    # say exactly what fleetadmin.web.durations.ago_text says, in both languages.
    from datetime import UTC, datetime

    from cars.templatetags.car_rows import _ago

    now = datetime(2026, 12, 7, 6, 0, tzinfo=UTC)
    seconds = [*range(0, 4000, 7), *range(3000, 40 * 86400, 997), 28 * 86400 - 1, 28 * 86400]
    with translation.override(language):
        differ = [s for s in seconds
                  if _ago(now - timedelta(seconds=s), now)
                  != ago_text(now - timedelta(seconds=s), now)]
    assert differ == []
