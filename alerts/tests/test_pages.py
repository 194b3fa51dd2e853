"""Every Alerts page lives within the CSP and shows what others typed as text, never markup."""

import pytest
from django.utils import timezone

from alerts.models import Alert, Delivery, Rule, Webhook
from tests.test_csp import assert_page_lives_within_the_policy

HOSTILE = "<script>alert(1)</script>"


def test_every_alerts_page_lives_within_the_policy_and_escapes_names(admin_client, store,
                                                                      settings):
    settings.ALERTS_WEBHOOK_PRIVATE_HOSTS = ["localhost"]
    rule = Rule.objects.create(fleet=store, name=HOSTILE, kind="not_at_depot", time_zone="UTC",
                               check_time=timezone.now().time(), depots=[
                                   {"name": HOSTILE, "latitude": 1, "longitude": 2,
                                    "radius": 3}])
    hook = Webhook.objects.create(fleet=store, name=HOSTILE, url="https://localhost/h",
                                  secret="s" * 20)
    alert = Alert.objects.create(rule=rule, car_id=9001, car_name=HOSTILE,
                                 episode_start=timezone.now())
    Delivery.objects.create(alert=alert, fleet=store, channel="webhook", webhook=hook,
                            recipient=hook.url, last_error=HOSTILE)
    for url in ("/alerts/", f"/alerts/rules/{rule.pk}/", "/alerts/rules/new/?kind=service",
                "/alerts/rules/new/?kind=outside_hours", "/alerts/webhooks/",
                "/alerts/webhooks/new/", f"/alerts/webhooks/{hook.pk}/", "/alerts/log/"):
        response = admin_client.get(url)
        assert_page_lives_within_the_policy(response)
        html = response.content.decode()
        assert HOSTILE not in html, url


def test_a_kind_that_does_not_exist_is_not_found(manager_client, store):
    assert manager_client.get("/alerts/rules/new/?kind=%3Cx%3E").status_code == 404
    refused = manager_client.post("/alerts/rules/new/?kind=%3Cx%3E", {
        "name": "x", "kind": "<x>", "time_zone": "UTC", "threshold": "1"})
    assert refused.status_code == 404 and not Rule.objects.exists()


def test_an_id_beyond_any_row_is_not_found(manager_client, store):
    huge = 2**70
    for url in (f"/alerts/rules/{huge}/", f"/alerts/webhooks/{huge}/"):
        assert manager_client.get(url).status_code == 404, url
    for url in (f"/alerts/rules/{huge}/delete/", f"/alerts/{huge}/acknowledge/",
                f"/alerts/webhooks/{huge}/delete/"):
        assert manager_client.post(url).status_code == 404, url


HOSTILE_VALUES = ["", " ", "x" * 5000, "-1", "0", "99999999999999999999999", "25:99", "1e309",
                  "\x00", "<b>", "../../etc/passwd", "https://[::1", "https://a:99999/",
                  "https://", "http://exa mple.com/", "a,b,c,d\n,,,\n1,2,3,4,5"]
RULE_FIELDS = ["name", "threshold", "time_zone", "check_time", "depots_text", "day0_start",
               "day0_end", "only_outside_hours", "enabled"]


# Hundreds of requests each: seconds to minutes on a loaded machine.
@pytest.mark.slow
@pytest.mark.parametrize("kind", ["left_open", "outside_hours", "not_at_depot", "service"])
def test_no_hostile_rule_field_is_answered_500(manager_client, store, kind):
    good = {"name": "n", "threshold": "3", "time_zone": "UTC", "check_time": "20:00",
            "depots_text": "D, 1, 2, 3", "day0_start": "08:00", "day0_end": "17:00"}
    for field in RULE_FIELDS:
        for value in HOSTILE_VALUES:
            response = manager_client.post(f"/alerts/rules/new/?kind={kind}",
                                           {**good, field: value})
            assert response.status_code in (302, 422), (field, value, response.status_code)


@pytest.mark.slow
def test_no_hostile_webhook_field_is_answered_500(manager_client, store):
    good = {"name": "n", "url": "https://localhost/x", "secret": "s" * 20}
    for field in good:
        for value in HOSTILE_VALUES:
            response = manager_client.post("/alerts/webhooks/new/", {**good, field: value})
            assert response.status_code in (302, 422), (field, value, response.status_code)
    for value in HOSTILE_VALUES:
        assert manager_client.post("/alerts/subscription/", {"mode": value}).status_code == 302
        assert manager_client.get("/alerts/log/", {"page": value}).status_code == 200
