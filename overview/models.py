"""The home page's chart days, rolled up per fleet, time zone and day.

A row is what overview.figures asks the store about a day (openings, closings, kilometres)
in one time zone, written after each store run by overview.tasks.roll_up_fleet (and by a
page that found a day missing). Kept per zone, not per UTC hour: a day's kilometres are per
car (the odometer at the day's start and end, with the days before), which hour sums
cannot give; per zone every zone is exact, half-hour ones and the clock changes included.
"""

from django.db import models

from fleetstore.models import FleetSync


class FleetDay(models.Model):
    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE, related_name="+")
    zone = models.CharField(max_length=64)  # IANA name, e.g. Europe/Berlin
    day = models.DateField()  # in `zone`
    opened = models.PositiveIntegerField()
    closed = models.PositiveIntegerField()
    km = models.FloatField()
    # The store's runs the row reflects (FleetSync.synced_at and sampled_at; see
    # overview.rollups.runs_of) and the later of the two: a row is right while the store's
    # runs are still these, and for good once they are past the day's re-read window.
    runs = models.CharField(max_length=64)
    runs_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fleet", "zone", "day"],
                                               name="overview_fleetday_one_per_day")]

    def __str__(self):
        return f"{self.fleet_id} {self.zone} {self.day}"
