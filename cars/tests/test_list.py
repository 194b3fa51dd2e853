"""The car list: page and #car-table fragment, search, sort, pages, empty states and failures."""

import pytest
from django.urls import reverse

from config.testing import hx, make_user, upstream_calls
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db

LIST = "/cars/"


def cars_get(sandbox):
    """The GET /cars requests the sandbox saw."""
    return [r for r in sandbox.requests if r.method == "GET" and r.path == "/cars"]


def test_cars_list_is_at_slash_cars():
    assert reverse("cars:list") == LIST


def test_the_page_shows_the_first_page_of_cars_sorted_by_name(manager_client, flinkey_api):
    response = manager_client.get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<form id="car-search"' in html and 'id="car-table"' in html
    page = response.context["listing"].page
    assert len(page.items) == 25 and page.has_next and not page.has_previous
    # In the API's order: by name, code point by code point ("i4 …" after every capital), then
    # id; the dashboard does not sort again.
    seeded = sorted(flinkey_api.store.cars[DEMO.customer_id].values(),
                    key=lambda car: (car["name"], car["id"]))
    assert [car.id for car in page.items] == [car["id"] for car in seeded[:25]]
    (request,) = cars_get(flinkey_api)
    assert request.query["$orderby"] == "name asc,id asc"
    assert request.query["$top"] == "26" and request.query["$skip"] == "0"


def test_the_htmx_fragment_is_only_the_table(manager_client, flinkey_api):
    response = manager_client.get(LIST, headers=hx("car-table"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="car-table"')
    assert "<html" not in html and 'id="car-search"' not in html


def test_a_history_restore_gets_the_whole_page(manager_client, flinkey_api):
    response = manager_client.get(
        LIST + "?q=bmw", headers=hx("car-table", **{"HX-History-Restore-Request": "true"})
    )
    assert "<html" in response.content.decode()


def test_every_page_costs_one_upstream_call_of_one_page(manager_client, flinkey_api):
    manager_client.get(LIST)  # the token is fetched once and cached
    flinkey_api.clear_requests()
    for url in (LIST, LIST + "?page=2", LIST + "?q=m-&sort=-brand&size=10&page=2"):
        before = upstream_calls(flinkey_api)
        manager_client.get(url, headers=hx("car-table"))
        assert upstream_calls(flinkey_api) - before == 1
    assert flinkey_api.request_count(path_prefix="/oauth2") == 0


@pytest.mark.parametrize("term", ["o'brien", "O'BRIEN", "  o'Brien  "])
def test_search_is_case_insensitive_and_quotes_the_term(manager_client, flinkey_api, term):
    response = manager_client.get(LIST, {"q": term}, headers=hx("car-table"))
    names = [car.name for car in response.context["listing"].page.items]
    assert names == ["O'Brien's ID.3"]
    (request,) = cars_get(flinkey_api)
    assert "contains(tolower(name),'o''brien')" in request.query["$filter"]
    for field in ("licensePlate", "vin", "brand", "model"):
        assert f"contains(tolower({field}),'o''brien')" in request.query["$filter"]


def test_search_finds_plates_vins_brands_and_models(manager_client, flinkey_api, demo_car):
    for term in (demo_car.license_plate, demo_car.vin.lower(), demo_car.model, demo_car.brand):
        response = manager_client.get(LIST, {"q": term, "size": 100}, headers=hx("car-table"))
        assert demo_car.id in [car.id for car in response.context["listing"].page.items], term


def test_a_hostile_term_stays_a_literal(manager_client, flinkey_api):
    response = manager_client.get(LIST, {"q": "x') or true or contains(name,'"})
    assert response.status_code == 200
    assert "No car matches" in response.content.decode()


def test_the_search_box_keeps_the_term(manager_client, flinkey_api):
    response = manager_client.get(LIST, {"q": '"Blauer Blitz"'})
    html = response.content.decode()
    assert 'value="&quot;Blauer Blitz&quot;"' in html


@pytest.mark.parametrize(
    ("sort", "orderby", "aria"),
    [
        ("-name", "name desc,id desc", 'aria-sort="descending"'),
        ("brand", "brand asc,id asc", 'aria-sort="ascending"'),
        ("-license_plate", "licensePlate desc,id desc", 'aria-sort="descending"'),
        ("vin", "vin asc,id asc", 'aria-sort="ascending"'),
    ],
)
def test_sorting_by_column(manager_client, flinkey_api, sort, orderby, aria):
    response = manager_client.get(LIST, {"sort": sort})
    (request,) = cars_get(flinkey_api)
    assert request.query["$orderby"] == orderby
    html = response.content.decode()
    assert aria in html
    # The search form carries the sort along (form="car-search").
    assert f'<option value="{sort}" selected>' in html


def test_a_sort_link_toggles_the_direction(manager_client, flinkey_api):
    response = manager_client.get(LIST, {"sort": "brand"})
    columns = {column["field"]: column["url"] for column in response.context["columns"]}
    assert columns["brand"] == "/cars/?sort=-brand"
    assert columns["model"] == "/cars/?sort=model"
    response = manager_client.get(LIST, {"sort": "-brand"})
    columns = {column["field"]: column["url"] for column in response.context["columns"]}
    assert columns["brand"] == "/cars/?sort=brand"


def test_pages_of_a_chosen_size(manager_client, flinkey_api):
    first = manager_client.get(LIST, {"size": 10}).context["listing"]
    second = manager_client.get(LIST, {"size": 10, "page": 2}).context["listing"]
    requests = cars_get(flinkey_api)
    assert [(r.query["$top"], r.query["$skip"]) for r in requests] == [("11", "0"), ("11", "10")]
    assert len(first.page.items) == 10 and len(second.page.items) == 10
    assert not {c.id for c in first.page.items} & {c.id for c in second.page.items}
    assert first.next_url == "/cars/?page=2&size=10"
    assert second.prev_url == "/cars/?size=10" and second.first == 11


def test_the_last_page_has_no_next_link(manager_client, flinkey_api):
    response = manager_client.get(LIST, {"size": 50, "page": 2})
    assert len(response.context["listing"].page.items) == 12  # 62 demo cars
    assert response.context["listing"].next_url is None
    assert 'rel="next"' not in response.content.decode()


@pytest.mark.parametrize(
    "query",
    [
        {"page": "abc"}, {"page": "-3"}, {"page": "0"}, {"page": "9" * 30}, {"size": "7"},
        {"size": "x"}, {"sort": "password"}, {"sort": "--name"}, {"sort": "id"},
        {"q": "x" * 5000},
    ],
)
def test_invalid_query_values_fall_back_to_defaults(manager_client, flinkey_api, query):
    response = manager_client.get(LIST, query)
    assert response.status_code == 200
    (request,) = cars_get(flinkey_api)
    if "q" not in query:
        assert request.query["$orderby"] == "name asc,id asc"
        assert request.query["$top"] == "26" and request.query["$skip"] == "0"
    else:
        assert len(response.context["params"].search) == 100


def test_links_to_a_car_keep_search_sort_and_page(manager_client, flinkey_api):
    response = manager_client.get(LIST, {"q": "m-", "sort": "-brand", "page": 2, "size": 10})
    html = response.content.decode()
    car = response.context["listing"].page.items[0]
    assert f'href="/cars/{car.id}/?q=m-&amp;sort=-brand&amp;page=2&amp;size=10"' in html
    assert f'href="/cars/{car.id}/edit/?q=m-&amp;sort=-brand&amp;page=2&amp;size=10"' in html


def test_no_match_is_an_empty_state_with_a_way_out(manager_client, flinkey_api):
    response = manager_client.get(LIST, {"q": "zzz-no-such-car", "sort": "brand"},
                                  headers=hx("car-table"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "No car matches “zzz-no-such-car”." in html
    assert 'href="/cars/?sort=brand"' in html  # clear the search, keep the sort


def test_no_cars_at_all_is_its_own_empty_state(manager_client, flinkey_api):
    flinkey_api.store.cars[DEMO.customer_id].clear()
    html = manager_client.get(LIST).content.decode()
    assert "This customer has no cars yet." in html
    assert "New car" in html


def test_a_page_past_the_end_offers_the_first_page(manager_client, flinkey_api):
    html = manager_client.get(LIST, {"page": 40}).content.decode()
    assert "There are no cars on this page." in html
    assert "Go to the first page" in html


def test_an_api_failure_is_explained_in_place(manager_client, flinkey_api):
    flinkey_api.faults.fail_next("/cars", status=500, count=5)
    response = manager_client.get(LIST, {"q": "bmw"}, headers=hx("car-table"))
    html = response.content.decode()
    assert response.status_code == 502
    assert html.lstrip().startswith('<div id="car-table"')
    assert "The cars could not be loaded. flinkey had an internal error. Try again" in html
    assert "flinkey said: <q>Internal server error.</q>" in html
    assert 'hx-get="/cars/?q=bmw"' in html  # "Try again" repeats the same view


def test_an_api_failure_keeps_the_search_box_contents(manager_client, flinkey_api):
    flinkey_api.faults.fail_next("/cars", status=503, count=5)
    response = manager_client.get(LIST, {"q": "bmw"})
    assert response.status_code == 502
    assert 'value="bmw"' in response.content.decode()


def test_a_timeout_says_to_try_again(manager_client, flinkey_api, settings):
    settings.FLINKEY_READ_TIMEOUT = 0.3
    manager_client.get(LIST)  # token first
    flinkey_api.faults.hang_next("/cars", seconds=2, count=5)
    response = manager_client.get(LIST, headers=hx("car-table"))
    assert response.status_code == 504
    assert "did not answer in time" in response.content.decode()


def test_refused_credentials_point_to_settings(manager_client, flinkey_api, manager):
    credentials = manager.flinkey_credentials
    credentials.api_key = "wrong-key"
    credentials.save()
    response = manager_client.get(LIST)
    assert response.status_code == 409
    assert "Check the API key on the Settings page." in response.content.decode()


def test_without_credentials_the_list_points_to_settings(client, flinkey_api):
    client.force_login(make_user("newbie", with_credentials=False))
    response = client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 409  # every set-up problem answers alike
    assert reverse("settings") in html and "Open Settings" in html
    assert flinkey_api.request_count() == 0


def test_without_a_customer_the_list_says_to_choose_one(client, flinkey_api):
    client.force_login(make_user("undecided", customer=False))
    html = client.get(LIST, headers=hx("car-table")).content.decode()
    assert "Choose the customer you work for" in html and "Open Settings" in html


def test_anonymous_visitors_are_sent_to_log_in(client, flinkey_api):
    response = client.get(LIST)
    assert response.status_code == 302 and response.url.startswith("/login/")


def test_support_sees_cars_but_no_write_controls(support_client, flinkey_api):
    response = support_client.get(LIST)
    html = response.content.decode()
    assert response.status_code == 200 and response.context["listing"].page.items
    assert "New car" not in html
    assert "/edit/" not in html and "/delete/" not in html


def test_a_manager_sees_the_write_controls(manager_client, flinkey_api):
    html = manager_client.get(LIST).content.decode()
    assert 'id="car-new"' in html and "/edit/" in html and "/delete/" in html


def test_hostile_names_are_text(manager_client, flinkey_api):
    html = manager_client.get(LIST, {"size": 100}).content.decode()
    assert "<img src=x" not in html
    assert "Testwagen &lt;img src=x onerror=alert(1)&gt;" in html
    assert "Corsa ${alert(1)}" in html  # harmless in HTML: no script reads it
    assert "Caddy `Werkstatt` 2" in html


def test_rows_are_labelled_for_phone_width(manager_client, flinkey_api):
    html = manager_client.get(LIST).content.decode()
    for label in ("Name", "Licence plate", "Brand", "Model", "VIN"):
        assert f'data-label="{label}"' in html


def test_only_get_is_allowed(manager_client, flinkey_api):
    assert manager_client.post(LIST).status_code == 405


def test_pages_and_fragments_are_cached_apart(manager_client, flinkey_api):
    # Without Vary, the browser's back button can show a cached bare fragment.
    response = manager_client.get(LIST, headers=hx("car-table"))
    assert "HX-Request" in response["Vary"] and "HX-Target" in response["Vary"]


def test_the_pushed_url_is_canonical(manager_client, flinkey_api):
    response = manager_client.get(LIST, {"q": " golf ", "size": "25", "sort": "bogus"},
                                  headers=hx("car-table"))
    assert response["HX-Push-Url"] == "/cars/?q=golf"


def test_a_row_escapes_every_value_in_text_and_attributes():
    # The rows are written in Python (cars/templatetags/car_rows.py), not by template nodes:
    # what the template engine escaped on its own must still be escaped, attributes included.
    from django.template import Context, Template
    from django.utils import translation

    from flinkey.models import Car

    car = Car(id=7, name='A "quote" <b>&\'', license_plate="<i>", brand=None, model="x&y",
              vin='"><script>')
    row = Template("{% load car_rows %}{% car_row car %}")
    context = {"car": car, "can_write": True, "list_suffix": '?q="a"&page=2'}
    with translation.override("de"):
        html = row.render(Context(context))
    assert "<b>" not in html and "<i>" not in html and "<script>" not in html
    assert '"quote"' not in html
    assert ">A &quot;quote&quot; &lt;b&gt;&amp;&#x27;</a>" in html
    assert 'aria-label="A &quot;quote&quot; &lt;b&gt;&amp;&#x27; bearbeiten"' in html
    assert 'href="/cars/7/edit/?q=&quot;a&quot;&amp;page=2"' in html
    assert '<td data-label="Marke" class="user-text">—</td>' in html and ">x&amp;y<" in html
    assert "&quot;&gt;&lt;script&gt;" in html


def test_a_row_marks_the_new_car_and_leaves_out_the_write_links_for_readers():
    from django.template import Context, Template

    from flinkey.models import Car

    car = Car(id=7, name="Golf")
    row = Template("{% load car_rows %}{% car_row car %}")
    html = row.render(Context({"car": car, "created": car, "oob_row": True}))
    assert '<tr id="car-row-7" class="car-new" hx-swap-oob="true">' in html
    assert '<span class="badge">new</span>' in html
    assert "/edit/" not in html and "/delete/" not in html
