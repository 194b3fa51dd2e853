"""The pieces of the cars service layer and form that need no sandbox."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict

from cars.forms import CarForm
from cars.services import ListParams, list_query, search_filter, service_state


def test_the_search_filter_ors_every_field_lower_cased():
    assert search_filter("  VW Golf ").render() == (
        "contains(tolower(name),'vw golf') or contains(tolower(licensePlate),'vw golf') or "
        "contains(tolower(vin),'vw golf') or contains(tolower(brand),'vw golf') or "
        "contains(tolower(model),'vw golf')"
    )


def test_quotes_in_a_term_are_doubled():
    assert "contains(tolower(name),'o''brien'' or ''1''=''1')" in search_filter(
        "O'Brien' or '1'='1").render()


def test_no_term_no_filter():
    assert search_filter("   ") is None
    assert "$filter" not in list_query(ListParams()).params()


def test_the_query_orders_with_a_tie_breaker():
    params = ListParams(sort="-model")
    assert list_query(params).params() == {"$orderby": "model desc,id desc"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ListParams()),
        ("q=a++b&sort=-vin&page=3&size=50", ListParams("a b", "-vin", 3, 50)),
        ("sort=secret&page=x&size=1000", ListParams()),
        ("page=-1", ListParams()),
        ("page=100001", ListParams()),
    ],
)
def test_list_params_from_the_query_string(query, expected):
    assert ListParams.from_query(QueryDict(query)) == expected


def test_list_params_leave_defaults_out_of_urls():
    assert ListParams().as_query() == {}
    params = ListParams("golf", "-brand", 2, 10)
    assert params.as_query() == {"q": "golf", "sort": "-brand", "page": "2", "size": "10"}
    assert params.as_query(page=1, search="") == {"sort": "-brand", "size": "10"}


def test_service_states():
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert service_state(None, now=now) == "unknown"
    assert service_state(now - timedelta(seconds=1), now=now) == "ended"
    assert service_state(now, now=now) == "ended"
    assert service_state(now + timedelta(days=30), now=now) == "ending"
    assert service_state(now + timedelta(days=30, seconds=1), now=now) == "active"


@pytest.mark.parametrize("vin", ["WVWZZZ1JZ3W386752", "wvwzzz1jz3w386752", ""])
def test_good_vins_carry_no_warning(vin):
    form = CarForm({"name": "x", "vin": vin})
    assert form.is_valid() and not form["vin"].warnings


@pytest.mark.parametrize("vin", ["WVWZZZ1JZ3W38675", "WVWZZZ1JZ3W386752X", "WVWZZZ1JZ3O386752",
                                 "110 123 456"])
def test_odd_vins_are_valid_with_a_warning(vin):
    form = CarForm({"name": "x", "vin": vin})
    assert form.is_valid()
    assert form["vin"].warnings


def test_the_edit_form_knows_what_the_person_changed():
    data = {"name": "A", "brand": "B2", "initial-name": "A", "initial-brand": "B",
            "initial-model": "M", "model": "M"}
    form = CarForm(data, editing=True)
    assert form.is_valid()
    assert set(form.changed_data) == {"brand"}
    assert form.seen()["brand"] == "B"
