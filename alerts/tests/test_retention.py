"""Old alerts and deliveries are deleted after ALERTS_RETENTION_DAYS by a daily job that
claims its period; a delivery still to be sent and the alert of an ongoing episode stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from alerts import evaluation, retention, tasks
from alerts.models import Alert, Delivery, Rule
from alerts.tests.conftest import add_car
from fleetstore.models import PeriodClaim
from fleetstore.tasks import claim_period

DAY = timedelta(days=1)


@pytest.fixture
def aged(settings, store):
    """A closed rule's alerts: one 200 days old, one 10 days old (retention 180 days)."""
    settings.ALERTS_RETENTION_DAYS = 180
    now = timezone.now()
    rule = Rule.objects.create(fleet=store, name="Overnight", kind="left_open", threshold=12,
                               time_zone="UTC", enabled=True)

    def alert(car_id, days_ago, *statuses):
        moment = now - days_ago * DAY
        found = Alert.objects.create(rule=rule, car_id=car_id, car_name=f"car {car_id}",
                                     episode_start=moment - DAY, raised_at=moment)
        for number, status in enumerate(statuses):
            Delivery.objects.create(alert=found, fleet=store, channel="email",
                                    recipient=f"{number}@example.com", status=status,
                                    created_at=moment, next_attempt_at=moment + DAY)
        return found

    return rule, alert


def test_old_finished_alerts_and_deliveries_go_recent_ones_stay(aged, store):
    _rule, alert = aged
    old = alert(9002, 200, "sent", "failed")
    recent = alert(9003, 10, "sent")
    digest = Delivery.objects.create(fleet=store, channel="digest", recipient="d@example.com",
                                     status="sent", created_at=timezone.now() - 181 * DAY)

    assert retention.prune() == (1, 3)

    assert list(Alert.objects.all()) == [recent]
    assert not Delivery.objects.filter(pk=digest.pk).exists()
    assert not Delivery.objects.filter(alert_id=old.pk).exists()
    assert Delivery.objects.filter(alert=recent).count() == 1


def test_a_delivery_waiting_for_its_retry_is_never_deleted_nor_its_alert(aged):
    _rule, alert = aged
    waiting = alert(9002, 400, "sent", "pending", "sending")

    assert retention.prune() == (0, 1)

    assert Alert.objects.filter(pk=waiting.pk).exists()
    assert sorted(Delivery.objects.values_list("status", flat=True)) == ["pending", "sending"]


def test_the_alert_of_an_episode_that_goes_on_stays_and_is_not_raised_again(aged, store):
    rule, alert = aged
    # "Open Overnight" (fill_store) was opened 20 h ago; this car 300 days ago and still open.
    car = add_car(store, 9010, "Open For Ages", opened_hours_ago=300 * 24)
    ongoing = Alert.objects.create(rule=rule, car_id=car.car_id, car_name=car.name,
                                   episode_start=car.last_event.utc_date_time,
                                   raised_at=timezone.now() - 299 * DAY)
    over = alert(9002, 250, "sent")

    assert retention.prune() == (1, 1)

    assert set(Alert.objects.values_list("pk", flat=True)) == {ongoing.pk}
    assert not Alert.objects.filter(pk=over.pk).exists()
    evaluation.evaluate()
    assert Alert.objects.filter(rule=rule, car_id=car.car_id).count() == 1


def test_an_ongoing_episode_stays_also_while_its_rule_is_quiet_in_working_hours(aged, store):
    rule, _alert = aged
    rule.only_outside_hours = True
    now = timezone.now()  # the rule's zone is UTC: working hours an hour either side of now
    hours = [f"{now - timedelta(hours=1):%H:%M}", f"{now + timedelta(hours=1):%H:%M}"]
    rule.working_hours = {str(day): hours for day in range(7)}
    rule.save()
    car = add_car(store, 9010, "Open For Ages", opened_hours_ago=300 * 24)
    Alert.objects.create(rule=rule, car_id=car.car_id, car_name=car.name,
                         episode_start=car.last_event.utc_date_time,
                         raised_at=timezone.now() - 299 * DAY)

    assert retention.prune() == (0, 0)


def test_the_retention_is_a_setting(aged, settings):
    _rule, alert = aged
    alert(9002, 40, "sent")
    assert retention.prune() == (0, 0)
    settings.ALERTS_RETENTION_DAYS = 30
    assert retention.prune() == (1, 1)


def test_more_than_a_batch_is_deleted(aged, store, monkeypatch):
    _rule, alert = aged
    monkeypatch.setattr(retention, "BATCH", 2)
    for car_id in range(5):
        alert(car_id, 300, "sent")
    assert retention.prune() == (5, 5)
    assert not Alert.objects.exists() and not Delivery.objects.exists()


def test_the_daily_job_claims_its_period_once(aged, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    _rule, alert = aged
    alert(9002, 300, "sent")
    assert tasks.prune_alerts.enqueue().return_value == "deleted 1 alerts and 1 deliveries"
    alert(9003, 300, "sent")
    # A second scheduler's copy of the same minute does nothing. (The next minute is claimed
    # as well, as that day's job would have: the test may cross into it.)
    claimed = PeriodClaim.objects.get(job="prune_alerts").period
    claim_period("prune_alerts", claimed + timedelta(minutes=1))
    assert tasks.prune_alerts.enqueue().return_value == "period already claimed"
    assert Alert.objects.count() == 1
