"""What the fleet store keeps per fleet (API base URL + customer), and how its syncs went.

Every row learnt from flinkey is keyed by flinkey's own ids within its fleet, so a sync
that runs twice (or a worker killed half-way that is run again) updates rows instead of
adding them. Times are UTC.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fleetadmin.secrets.fields import EncryptedTextField


class FleetSync(models.Model):
    """Sync of one fleet, turned on by an admin with a flinkey login of its own.

    The sync credential (API key, username, password) is encrypted at rest like the users'
    credentials and never shown again once saved.
    """

    api_url = models.CharField(_("flinkey API"), max_length=500)
    customer_id = models.BigIntegerField(_("customer ID"))
    customer_name = models.CharField(_("customer name"), max_length=200, blank=True)
    enabled = models.BooleanField(_("sync on"), default=True)
    api_key = EncryptedTextField(_("API key"))
    username = EncryptedTextField(_("API manager username"))
    password = EncryptedTextField(_("API manager password"))
    credential_changed_at = models.DateTimeField(default=timezone.now)
    sync_minutes = models.PositiveIntegerField(_("minutes between full syncs"), null=True,
                                               blank=True)
    sample_minutes = models.PositiveIntegerField(_("minutes between position samples"),
                                                 null=True, blank=True)
    # One sync at a time per fleet: a run holds the fleet until `lease_until` and renews it
    # as it goes; a killed worker's hold simply runs out.
    lease_owner = models.CharField(max_length=64, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    # "Refresh now" was pressed at: the page shows "waiting for a worker" until a run starts.
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    # Status, as of the last runs (the page reads these and the newest SyncRun).
    synced_at = models.DateTimeField(_("last full sync"), null=True, blank=True)
    sampled_at = models.DateTimeField(_("last position sample"), null=True, blank=True)
    last_error = models.CharField(max_length=20, blank=True)  # SyncRun.Error value, "" = none
    last_error_detail = models.TextField(blank=True)  # flinkey's own sentence
    last_error_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["api_url", "customer_id"],
                                               name="fleetstore_one_sync_per_fleet")]

    def __repr__(self):
        # Never the secrets.
        return f"<FleetSync {self.api_url} customer={self.customer_id} enabled={self.enabled}>"

    def __str__(self):
        return self.customer_name or str(self.customer_id)


class StoredCar(models.Model):
    """A car as flinkey last told it, with its latest position, odometer and fix time."""

    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE, related_name="cars")
    car_id = models.BigIntegerField()
    name = models.TextField()
    description = models.TextField(null=True, blank=True)
    vin = models.TextField(null=True, blank=True)
    license_plate = models.TextField(null=True, blank=True)
    brand = models.TextField(null=True, blank=True)
    model = models.TextField(null=True, blank=True)
    learnt_at = models.DateTimeField()
    # Set when a complete car list no longer had it (deleted or moved upstream), or at once
    # when it was deleted through fleetadmin (fleetstore.services.car_deleted).
    gone_at = models.DateTimeField(null=True, blank=True)
    products_learnt_at = models.DateTimeField(null=True, blank=True)
    has_iq = models.BooleanField(null=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    fix_at = models.DateTimeField(null=True, blank=True)
    odometer = models.FloatField(null=True, blank=True)
    odometer_at = models.DateTimeField(null=True, blank=True)
    location_learnt_at = models.DateTimeField(null=True, blank=True)
    # The newest event stored (utcDateTime to 100 ns): the next events sync reads from
    # here, less the re-read window. Saved with the events it covers, never before.
    events_through = models.DateTimeField(null=True, blank=True)
    events_through_ticks = models.PositiveSmallIntegerField(default=0)
    # The newest event stored (the one at `events_through`), so that "left open" over a
    # whole fleet is one query, not a subquery per car. Moved with the cursor.
    last_event = models.ForeignKey("StoredEvent", on_delete=models.SET_NULL, null=True,
                                   blank=True, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fleet", "car_id"],
                                               name="fleetstore_car_once")]
        # The car list's and the reports' order (name, then id): a page reads it in order.
        indexes = [models.Index(fields=["fleet", "name", "car_id"],
                                name="fleetstore_car_fleet_name")]

    def __str__(self):
        return f"car {self.car_id} of fleet {self.fleet_id}"


class StoredProduct(models.Model):
    """A flinkey device in a stored car, with its service end."""

    car = models.ForeignKey(StoredCar, on_delete=models.CASCADE, related_name="products")
    product_id = models.BigIntegerField()
    unique_id = models.TextField(null=True, blank=True)
    serial_number = models.TextField(null=True, blank=True)
    sap_number = models.TextField(null=True, blank=True)
    service_ends_at = models.DateTimeField(null=True, blank=True)
    type = models.TextField()
    learnt_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["car", "product_id"],
                                               name="fleetstore_product_once")]

    def __str__(self):
        return f"product {self.product_id} in {self.car_id}"


class PositionSample(models.Model):
    """One position (and odometer) of a car at the moment its IQ recorded it."""

    car = models.ForeignKey(StoredCar, on_delete=models.CASCADE, related_name="samples")
    recorded_at = models.DateTimeField()
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    odometer = models.FloatField(null=True, blank=True)
    learnt_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["car", "recorded_at"],
                                               name="fleetstore_sample_once")]
        indexes = [models.Index(fields=["recorded_at"], name="fleetstore_sample_time")]

    def __str__(self):
        return f"{self.car_id} at {self.recorded_at:%Y-%m-%dT%H:%M:%SZ}"


class StoredEvent(models.Model):
    """An opened/closed event, with utcDateTime to the API's 100 ns (`utc_ticks`)."""

    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE, related_name="events")
    car = models.ForeignKey(StoredCar, on_delete=models.CASCADE, related_name="events")
    event_id = models.BigIntegerField()
    user_id = models.BigIntegerField(null=True, blank=True)
    type = models.TextField()
    utc_date_time = models.DateTimeField()
    utc_ticks = models.PositiveSmallIntegerField(default=0)
    local_date_time = models.DateTimeField(null=True, blank=True)  # naive wall time, as sent
    user_agent = models.TextField(null=True, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    learnt_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fleet", "event_id"],
                                               name="fleetstore_event_once")]
        indexes = [models.Index(fields=["car", "utc_date_time"], name="fleetstore_event_car_time"),
                   # A fleet's events of a period (the home page's last days, reports).
                   models.Index(fields=["fleet", "utc_date_time"],
                                name="fleetstore_event_fleet_time"),
                   # The sessions report: a fleet's openings of a period in time order, and
                   # each car's last opening and closing before it, from the index alone.
                   models.Index(fields=["fleet", "type", "utc_date_time", "car"],
                                name="fleetstore_event_fleet_type")]

    def __str__(self):
        return f"event {self.event_id} of fleet {self.fleet_id}"


class SyncRun(models.Model):
    """One run of a sync job for a fleet: progress while it runs, then how it ended."""

    class Kind(models.TextChoices):
        FULL = "full", _("full sync")
        SAMPLES = "samples", _("position samples")

    class Outcome(models.TextChoices):
        RUNNING = "running", _("running")
        SUCCESS = "success", _("done")
        FAILED = "failed", _("failed")

    class Error(models.TextChoices):
        # What went wrong, as a kind; the page says it in the reader's language.
        CREDENTIALS = "credentials", _("flinkey refused the sync credential")
        CUSTOMER = "customer", _("the sync credential no longer reaches this customer")
        UNAVAILABLE = "unavailable", _("flinkey could not be reached")
        UPSTREAM = "upstream", _("flinkey answered with an error")
        INTERRUPTED = "interrupted", _("the run stopped before it finished")

    fleet = models.ForeignKey(FleetSync, on_delete=models.CASCADE, related_name="runs")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    started_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    error = models.CharField(max_length=20, choices=Error.choices, blank=True)
    error_detail = models.TextField(blank=True)
    calls = models.PositiveIntegerField(default=0)
    cars_total = models.PositiveIntegerField(null=True, blank=True)
    cars_done = models.PositiveIntegerField(default=0)
    cars_failed = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["fleet", "-started_at"], name="fleetstore_run_newest")]

    def __str__(self):
        return f"{self.kind} run of fleet {self.fleet_id}: {self.outcome}"


class PeriodClaim(models.Model):
    """A periodic job's run for one period, claimed before it enqueues anything.

    A second scheduler (or a job enqueued twice) finds the period claimed and does nothing:
    each periodic job runs once per period across every instance.
    """

    job = models.CharField(max_length=100)
    period = models.DateTimeField()
    claimed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "period"],
                                               name="fleetstore_period_once")]

    def __str__(self):
        return f"{self.job} {self.period:%Y-%m-%dT%H:%MZ}"

