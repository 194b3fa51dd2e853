"""OData building: quoting, field names, precedence; user input never changes the structure."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flinkey import Query, odata

HOSTILE = [
    "O'Brien",
    "O'Brien's ID.3",
    "''",
    "'",
    "') or (id gt 0",
    "x' or 'a' eq 'a",
    "name eq 'x'",
    "%27%20or%201%20eq%201",
    "a&$top=1",
    "+ # ? / \\ ,",
    "Müller & Söhne Sprinter",
    "${alert(1)}",
    "line\nbreak\ttab",
    "",
]

# --- an independent reader of what the builder wrote ----------------------------------------

TOKEN = re.compile(r"\s+|(?P<string>'(?:[^']|'')*')|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<p>[(),])")


def tokens(source: str) -> list[tuple[str, str]]:
    """(kind, value) pairs of an OData expression; string values are unquoted."""
    found, position = [], 0
    while position < len(source):
        match = TOKEN.match(source, position)
        assert match is not None, f"unreadable at {position}: {source!r}"
        if match.lastgroup == "string":
            found.append(("string", match.group()[1:-1].replace("''", "'")))
        elif match.lastgroup:
            found.append((match.lastgroup, match.group()))
        position = match.end()
    return found


def structure(expr) -> list[tuple[str, str]]:
    return tokens(str(expr))


# --- literals and field names ---------------------------------------------------------------


def test_obrien_is_quoted_by_doubling():
    assert str(odata.contains("name", "O'Brien")) == "contains(name,'O''Brien')"
    assert str(odata.eq("name", "'")) == "name eq ''''"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "null"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-3, "-3"),
        (1.5, "1.5"),
        (1e-7, "0.0000001"),
        (Decimal("48.10"), "48.10"),
        (datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00Z"),
        (datetime(2026, 1, 1, 1, 30, tzinfo=timezone(timedelta(hours=1))), "2026-01-01T00:30:00Z"),
        (datetime(2026, 1, 1, 0, 0, 0, 500, tzinfo=UTC), "2026-01-01T00:00:00.000500Z"),
        (date(2026, 1, 2), "2026-01-02"),
    ],
)
def test_literals(value, text):
    assert odata.literal(value) == text


@pytest.mark.parametrize(
    ("value", "error"),
    [
        (datetime(2026, 1, 1), ValueError),
        (float("nan"), ValueError),
        (float("inf"), ValueError),
        (object(), TypeError),
        ([1], TypeError),
    ],
)
def test_values_without_a_literal_are_refused_when_building(value, error):
    with pytest.raises(error):
        odata.eq("name", value)


@pytest.mark.parametrize(
    ("name", "api"),
    [
        ("name", "name"),
        ("license_plate", "licensePlate"),
        ("utc_date_time", "utcDateTime"),
        ("car_id", "carId"),
        ("serial_number", "serialNumber"),
        ("date_time", "dateTime"),
        ("local_date_time", "dateTime"),
        ("service_ends_at", "dongleTerminationTimeStamp"),
        ("recorded_at", "date"),
        ("odometer_recorded_at", "odometerDate"),
    ],
)
def test_field_names_are_translated_to_camel_case(name, api):
    assert odata.field_name(name) == api
    assert str(odata.eq(name, 1)) == f"{api} eq 1"


@pytest.mark.parametrize(
    "name",
    [
        "",
        "Name",
        "licensePlate",
        "1name",
        "_name",
        "name_",
        "a__b",
        "name eq 'x'",
        "name)",
        "näme",
        "name/x",
        " name",
        "name;",
        None,
        5,
    ],
)
def test_unknown_looking_field_names_are_refused(name):
    with pytest.raises((ValueError, TypeError)):
        odata.eq(name, "x")
    with pytest.raises((ValueError, TypeError)):
        Query(orderby=(name,))
    with pytest.raises((ValueError, TypeError)):
        Query(select=(name,))


# --- expressions ----------------------------------------------------------------------------


def test_functions_and_tolower():
    assert str(odata.startswith("license_plate", "M-")) == "startswith(licensePlate,'M-')"
    assert str(odata.endswith("vin", "01")) == "endswith(vin,'01')"
    assert str(odata.contains(odata.tolower("name"), "golf")) == "contains(tolower(name),'golf')"
    assert str(odata.eq(odata.tolower("brand"), "bmw")) == "tolower(brand) eq 'bmw'"
    with pytest.raises(TypeError):
        odata.contains("name", 5)


@pytest.mark.parametrize(
    ("build", "text"),
    [
        (lambda a, b, c: a & b, "a eq 1 and b eq 2"),
        (lambda a, b, c: a | b, "a eq 1 or b eq 2"),
        (lambda a, b, c: a & b & c, "a eq 1 and b eq 2 and c eq 3"),
        (lambda a, b, c: (a | b) & c, "(a eq 1 or b eq 2) and c eq 3"),
        (lambda a, b, c: a & (b | c), "a eq 1 and (b eq 2 or c eq 3)"),
        (lambda a, b, c: a | b & c, "a eq 1 or b eq 2 and c eq 3"),
        (lambda a, b, c: (a & b) | c, "a eq 1 and b eq 2 or c eq 3"),
        (lambda a, b, c: ~a, "not (a eq 1)"),
        (lambda a, b, c: ~(a | b), "not (a eq 1 or b eq 2)"),
        (lambda a, b, c: ~(a & b) | c, "not (a eq 1 and b eq 2) or c eq 3"),
        (lambda a, b, c: ~~a, "not (not (a eq 1))"),
        (lambda a, b, c: ~odata.contains("name", "x") & a, "not contains(name,'x') and a eq 1"),
    ],
)
def test_combinations_are_parenthesised(build, text):
    a, b, c = odata.eq("a", 1), odata.eq("b", 2), odata.eq("c", 3)
    assert str(build(a, b, c)) == text


def test_python_and_or_are_refused():
    a, b = odata.eq("a", 1), odata.eq("b", 2)
    with pytest.raises(TypeError):
        a and b  # noqa: B018 - the point is that this raises
    with pytest.raises(TypeError):
        a & "b eq 2"


# --- Query ----------------------------------------------------------------------------------


def test_query_params():
    query = Query(
        filter=odata.eq("name", "O'Brien") | odata.gt("id", 5),
        orderby=(("name", "asc"), "-utc_date_time", "car_id", ("id", "DESC")),
        top=10,
        skip=20,
        select=("id", "license_plate"),
    )
    assert query.params() == {
        "$filter": "name eq 'O''Brien' or id gt 5",
        "$orderby": "name asc,utcDateTime desc,carId asc,id desc",
        "$top": "10",
        "$skip": "20",
        "$select": "id,licensePlate",
    }
    assert Query().params() == {}
    assert Query(orderby="-name", select="name").params() == {
        "$orderby": "name desc",
        "$select": "name",
    }


@pytest.mark.parametrize(
    "kwargs",
    [
        {"filter": "name eq 'x'"},
        {"top": -1},
        {"skip": 1.5},
        {"top": True},
        {"orderby": (("name", "up"),)},
        {"orderby": (("name", "asc", "x"),)},
    ],
)
def test_bad_queries_are_refused(kwargs):
    with pytest.raises((ValueError, TypeError)):
        Query(**kwargs)


def test_query_is_frozen_and_hashable():
    query = Query(orderby=["name"], select=["id"])
    assert query.orderby == ("name",) and query.select == ("id",)
    with pytest.raises(AttributeError):
        query.top = 5


# --- user input never changes the structure -------------------------------------------------


@settings(database=None)  # no .hypothesis/ folder in the work tree
@given(st.text(), st.text())
def test_any_string_stays_one_literal(first, second):
    expr = odata.contains(odata.tolower("name"), first) & ~odata.eq("license_plate", second)
    assert structure(expr) == [
        ("word", "contains"),
        ("p", "("),
        ("word", "tolower"),
        ("p", "("),
        ("word", "name"),
        ("p", ")"),
        ("p", ","),
        ("string", first),
        ("p", ")"),
        ("word", "and"),
        ("word", "not"),
        ("p", "("),
        ("word", "licensePlate"),
        ("word", "eq"),
        ("string", second),
        ("p", ")"),
    ]


@pytest.fixture
def all_cars(client):
    """Every car of the demo customer, read once per test."""
    return client.list_cars()


@pytest.mark.parametrize("needle", HOSTILE)
def test_hostile_strings_find_exactly_what_they_contain(client, needle):
    everything = client.list_cars()
    found = client.list_cars(Query(filter=odata.contains("name", needle)))
    assert [car.id for car in found] == [car.id for car in everything if needle in car.name]


@pytest.mark.parametrize("name", HOSTILE[:-1])
def test_a_car_named_with_hostile_text_is_found_by_eq(client, name):
    car_id = client.create_car(name=name + " (test)")
    found = client.list_cars(Query(filter=odata.eq("name", name + " (test)")))
    assert [car.id for car in found] == [car_id]


@settings(
    max_examples=60,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(needle=st.text(max_size=20) | st.sampled_from(["O'Brien", "'", "Mü", "ID.", "'s"]))
def test_sandbox_contains_round_trip(client, all_cars, needle):
    # Reads only, so the function-scoped sandbox can be shared by every example.
    found = client.list_cars(Query(filter=odata.contains(odata.tolower("name"), needle.lower())))
    assert [car.id for car in found] == [
        car.id for car in all_cars if needle.lower() in car.name.lower()
    ]


def test_an_instant_keeps_the_seventh_fraction_digit():
    Instant, literal = odata.Instant, odata.literal
    moment = datetime(2026, 3, 10, 13, 0, 1, 234567, tzinfo=timezone(timedelta(hours=1)))
    assert literal(Instant(moment, 8)) == "2026-03-10T12:00:01.2345678Z"
    assert literal(Instant(moment.astimezone(UTC))) == "2026-03-10T12:00:01.2345670Z"
    for bad in (-1, 10, True, 1.5):
        with pytest.raises(ValueError, match="ticks"):
            Instant(moment, bad)
    with pytest.raises(ValueError, match="aware"):
        Instant(datetime(2026, 3, 10))
