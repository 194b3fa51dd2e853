"""Every change to a schedule, each in one transaction with its audit entry."""

from django.db import transaction
from django.utils import timezone

from audit.recording import field_changes, record
from schedules.models import Run, Schedule

FIELDS = ("name", "report", "period", "format", "cadence", "weekday", "day_of_month",
          "at_time", "time_zone", "left_open_hours", "enabled")


def values_of(schedule: Schedule) -> dict:
    values = {name: getattr(schedule, name) for name in FIELDS}
    values["at_time"] = schedule.at_time.strftime("%H:%M") if schedule.at_time else None
    values["recipients"] = sorted(schedule.recipients.values_list("username", flat=True)) if (
        schedule.pk) else []
    return values


def _fleet_fields(fleet) -> dict:
    return {"customer_id": fleet.customer_id, "customer_name": fleet.customer_name}


def save_schedule(*, by, form, before: dict | None) -> Schedule:
    """Create or change a schedule (audited schedule.create / schedule.update).

    Its time is read in the owner's zone as it is now; moments before this save do not run.
    """
    with transaction.atomic():
        schedule = form.save(commit=False)
        schedule.time_zone = zone_of(schedule.owner)
        schedule.active_since = timezone.now()
        schedule.save()
        form.save_m2m()
        after = values_of(schedule)
        changes = after if before is None else field_changes(before, after)
        record(user=by, action="schedule.create" if before is None else "schedule.update",
               changes={"schedule": schedule.pk, **changes}, **_fleet_fields(schedule.fleet))
    return schedule


def delete_schedule(*, by, schedule: Schedule) -> None:
    with transaction.atomic():
        record(user=by, action="schedule.delete",
               changes={"schedule": schedule.pk, "name": schedule.name,
                        "report": schedule.report}, **_fleet_fields(schedule.fleet))
        schedule.delete()


def send_now(*, by, schedule: Schedule) -> Run | None:
    """A run due now, made at once (audited schedule.send_now); None if one exists already."""
    from schedules.sending import make_run

    with transaction.atomic():
        run = make_run(schedule, timezone.now(), trigger=Run.Trigger.MANUAL,
                       requested_by=by.get_username())
        if run is not None:
            record(user=by, action="schedule.send_now",
                   changes={"schedule": schedule.pk, "name": schedule.name, "run": run.pk},
                   **_fleet_fields(schedule.fleet))
    return run


def zone_of(user) -> str:
    from django.conf import settings

    preferences = getattr(user, "preferences", None)
    return getattr(preferences, "time_zone", "") or settings.FLEETADMIN_DEFAULT_TIME_ZONE
