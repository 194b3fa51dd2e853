"""Customers at hand (#20): the header's switch, another customer's car link, the first choice."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from config.testing import hx, logged_in, make_user, upstream_calls
from fleetadmin.models import FlinkeyCredentials
from fleetadmin.upstream import customer_list, reach
from flinkey import FlinkeyClient
from flinkey_sandbox import DEMO

pytestmark = pytest.mark.django_db


def other_car_name(sandbox) -> str:
    client = FlinkeyClient(sandbox.url, api_key=DEMO.api_key, username=DEMO.username,
                           password=DEMO.password, customer_id=DEMO.other_customer_id)
    return client.get_car(DEMO.other_car_id).name


def header(page: str) -> str:
    return page.split('<header class="topbar">', 1)[1].split("</header>", 1)[0]


# --- 1. the header --------------------------------------------------------------------------


@pytest.mark.parametrize("lister", ["test-connection", "customers"])
def test_the_header_offers_every_reachable_customer_once_the_list_is_kept(manager_client,
                                                                          lister):
    # Test connection and the switch page ask /customers: the answer is kept.
    if lister == "test-connection":
        manager_client.post(reverse(lister))
    else:
        manager_client.get(reverse(lister))
    top = header(manager_client.get(reverse("settings")).content.decode())
    assert f'action="{reverse("switch-customer")}"' in top
    assert f'<option value="{DEMO.customer_id}" selected>{DEMO.customer_name}</option>' in top
    assert f'<option value="{DEMO.other_customer_id}">' in top
    assert str(DEMO.hidden_customer_id) not in top
    assert 'name="next" value="/settings/"' in top


def test_the_header_never_asks_flinkey_for_the_customers(manager_client, flinkey_api):
    manager_client.get(reverse("settings"))  # nothing kept: a link, no /customers call
    assert upstream_calls(flinkey_api, path_prefix="/customers") == 0
    manager_client.get(reverse("customers"))
    flinkey_api.clear_requests()
    manager_client.get(reverse("audit"))
    assert upstream_calls(flinkey_api, path_prefix="/customers") == 0


def test_without_a_kept_list_the_header_links_to_the_switch_page(manager_client):
    top = header(manager_client.get(reverse("settings")).content.decode())
    assert DEMO.customer_name in top
    assert f'href="{reverse("customers")}?next=/settings/"' in top
    assert "<select" not in top


def test_the_kept_list_belongs_to_exactly_one_account(manager, flinkey_api):
    credentials = FlinkeyCredentials.objects.get(user=manager)
    customer_list.fetch(credentials)
    assert {c.id for c in customer_list.cached(credentials)} == {DEMO.customer_id,
                                                                  DEMO.other_customer_id}
    other_password = FlinkeyCredentials(user=manager, api_key=DEMO.api_key,
                                        username=DEMO.username, password="guessed")
    assert customer_list.cached(other_password) is None


def test_reachs_proof_keeps_the_list_it_asked_for(manager, flinkey_api):
    reach.prove(manager)
    credentials = FlinkeyCredentials.objects.get(user=manager)
    assert DEMO.other_customer_id in {c.id for c in customer_list.cached(credentials)}


def test_the_switch_page_lists_the_customers_and_keeps_next(manager_client):
    page = manager_client.get(reverse("customers"), {"next": "/map/"}).content.decode()
    assert DEMO.other_customer_name in page
    assert 'name="next" value="/map/"' in page


def test_switching_in_one_step_returns_to_the_same_page_and_is_audited(manager_client, manager):
    response = manager_client.post(reverse("switch-customer"), {
        "customer_id": DEMO.other_customer_id, "next": "/cars/?q=a"})
    assert response.status_code == 302
    assert response["Location"] == "/cars/?q=a"
    assert FlinkeyCredentials.objects.get(user=manager).customer_id == DEMO.other_customer_id
    entry = AuditEntry.objects.get(action="customer.choose")
    assert entry.user == manager


@pytest.mark.parametrize("next_url", ["https://evil.example/cars/", "//evil.example/", ""])
def test_a_next_elsewhere_returns_to_the_car_list(manager_client, next_url):
    response = manager_client.post(reverse("switch-customer"), {
        "customer_id": DEMO.other_customer_id, "next": next_url})
    assert response["Location"] == reverse("cars:list")


def test_a_customer_out_of_reach_is_refused_and_nothing_changes(manager_client, manager):
    response = manager_client.post(reverse("switch-customer"), {
        "customer_id": DEMO.hidden_customer_id, "next": "/cars/"})
    assert response.status_code == 400
    assert "cannot reach that customer" in response.content.decode()
    assert FlinkeyCredentials.objects.get(user=manager).customer_id == DEMO.customer_id
    assert not AuditEntry.objects.filter(action="customer.choose").exists()


def test_a_hostile_next_sets_no_header(manager_client):
    response = manager_client.post(reverse("switch-customer"), {
        "customer_id": DEMO.other_customer_id, "next": "/cars/\r\nSet-Cookie: x=y"})
    assert response.status_code == 302
    assert "\n" not in response["Location"] and not response.cookies.get("x")


# --- 2. another customer's car -----------------------------------------------------------


@pytest.mark.parametrize("url", [
    f"/cars/{DEMO.other_car_id}/",
    f"/cars/{DEMO.other_car_id}/products/",
    f"/cars/{DEMO.other_car_id}/edit/",
    f"/cars/{DEMO.other_car_id}/events/",
    f"/cars/{DEMO.other_car_id}/map/",
])
def test_a_link_to_another_customers_car_offers_the_switch(manager_client, flinkey_api, url):
    response = manager_client.get(url)
    page = response.content.decode()
    assert response.status_code == 200
    assert (f"This car belongs to {DEMO.other_customer_name}. Switch to "
            f"{DEMO.other_customer_name} and open it?") in page
    assert f'name="customer_id" value="{DEMO.other_customer_id}"' in page
    assert f'name="next" value="{url}"' in page
    assert other_car_name(flinkey_api) not in page  # nothing of the car before the switch


def test_after_the_switch_the_car_opens(manager_client, flinkey_api):
    url = reverse("cars:detail", args=[DEMO.other_car_id])
    response = manager_client.post(reverse("switch-customer"), {
        "customer_id": DEMO.other_customer_id, "next": url})
    assert response["Location"] == url
    page = manager_client.get(url).content.decode()
    assert other_car_name(flinkey_api) in page


def test_a_car_no_reachable_customer_has_stays_not_found(manager_client):
    response = manager_client.get(reverse("cars:detail", args=[DEMO.hidden_car_id]))
    assert response.status_code == 404
    assert "This car does not exist or belongs to another customer." in response.content.decode()
    assert "Switch to" not in response.content.decode()


def test_an_htmx_region_of_another_customers_car_offers_nothing(manager_client):
    url = reverse("cars:products", args=[DEMO.other_car_id])
    response = manager_client.get(url, headers=hx("car-products"))
    assert response.status_code == 404
    assert "Switch to" not in response.content.decode()


# --- 3. the first choice ---------------------------------------------------------------------


@pytest.fixture
def chooser(db, flinkey_api):
    return make_user("chooser", customer=False)


def test_a_user_without_a_customer_lands_on_the_choice(chooser):
    client = logged_in(chooser)
    response = client.get("/cars/?q=van")
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('customers')}?next=%2Fcars%2F%3Fq%3Dvan"
    page = client.get(response["Location"]).content.decode()
    assert DEMO.customer_name in page and DEMO.other_customer_name in page
    assert 'name="next" value="/cars/?q=van"' in page


def test_after_the_first_choice_they_continue_where_they_were_going(chooser):
    client = logged_in(chooser)
    response = client.post(reverse("switch-customer"), {
        "customer_id": DEMO.customer_id, "next": "/cars/?q=van"})
    assert response["Location"] == "/cars/?q=van"
    assert client.get("/cars/?q=van").status_code == 200


def test_htmx_regions_still_say_what_to_set_up(chooser):
    response = logged_in(chooser).get(reverse("cars:list"), headers=hx("car-table"))
    assert response.status_code == 409
    assert "You have not chosen a customer yet." in response.content.decode()


def test_pages_without_a_fleet_are_not_redirected(chooser):
    assert logged_in(chooser).get(reverse("settings")).status_code == 200
