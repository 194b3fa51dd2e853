"""Out-of-range dates in the audit log's filters are form errors, never a 500 or a broken export."""

import pytest
from django.urls import reverse

from audit.recording import record
from config.testing import hx

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def an_entry(admin):
    """One entry in the log, the admin's: what the filters find, or not."""
    record(user=admin, action="auth.login")


EXTREMES = [
    {"until": "9999-12-31"},
    {"since": "9999-12-31"},
    {"since": "0001-01-01"},
    {"until": "0001-01-01"},
    {"since": "0001-01-01", "until": "9999-12-31"},
]


@pytest.mark.parametrize("query", EXTREMES)
def test_an_out_of_range_date_is_a_form_error(admin_client, query):
    response = admin_client.get(reverse("audit"), query)
    assert response.status_code == 400
    assert "Enter a date between" in response.content.decode()
    assert not response.context["form"].is_valid()


@pytest.mark.parametrize("query", EXTREMES)
def test_an_out_of_range_date_in_the_fragment_is_a_form_error(admin_client, query):
    response = admin_client.get(reverse("audit"), query,
                                headers=hx("audit-table"))
    assert response.status_code == 400
    assert "Enter a date between" in response.content.decode()


@pytest.mark.parametrize("query", [*EXTREMES, {"car": "-1"}, {"car": str(2**70)},
                                   {"action": "nonsense"}, {"since": "2024-02-30"}])
def test_an_export_validates_before_it_streams(admin_client, query):
    response = admin_client.get(reverse("audit-export"), query)
    assert response.status_code == 400
    assert not response.streaming
    assert "text/html" in response["Content-Type"]
    assert "Content-Disposition" not in response


def test_a_huge_car_id_is_a_form_error(admin_client):
    response = admin_client.get(reverse("audit"), {"car": str(2**70)})
    assert response.status_code == 400


def test_dates_inside_the_range_still_filter(admin_client):
    response = admin_client.get(reverse("audit"), {"since": "2000-01-01", "until": "2999-12-31"})
    assert response.status_code == 200
    assert {entry.username for entry in response.context["page"].object_list} == {"ada"}
