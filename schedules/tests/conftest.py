"""The alerts' test parts: a synced store with a car left open (9001), a real SMTP server."""

from datetime import time

import pytest

from alerts.tests.conftest import mailbox, smtp_port, store  # noqa: F401 - fixtures
from fleetadmin.models import UserPreferences


def make_schedule(fleet, owner, **fields):
    from schedules.models import Schedule

    values = dict(fleet=fleet, owner=owner, name="Morning", report="service-ends",
                  period="yesterday", format="xlsx", cadence="daily", at_time=time(8, 0),
                  time_zone="Europe/Berlin", left_open_hours=12)
    values.update(fields)
    schedule = Schedule.objects.create(**values)
    Schedule.objects.filter(pk=schedule.pk).update(active_since=schedule.created_at.replace(
        year=2020))
    schedule.refresh_from_db()
    return schedule


def speaks(user, language, zone="Europe/Berlin", address=None):
    user.email = address or f"{user.username}@example.com"
    user.save()
    UserPreferences.objects.update_or_create(user=user, defaults={
        "time_zone": zone, "language": language})
    return user


@pytest.fixture
def owner(manager):
    return speaks(manager, "en")
