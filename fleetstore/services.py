"""What the Fleet sync page does: who sees which fleet's store, turning sync on and off.

Every read of stored data starts from `fleet_of(user)`: the fleet the user's OWN
credentials reach now (fleetadmin.upstream.reach.proven_fleet). The store never widens access.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from audit.recording import record
from fleetadmin.upstream.clients import client_from
from fleetadmin.upstream.reach import Fleet, proven_fleet
from fleetstore import sync
from fleetstore.models import FleetSync, SyncRun
from fleetstore.tasks import sync_fleet


class CredentialRefused(Exception):
    """The sync credential does not work or does not reach the fleet's customer.

    `reason` is "credentials", "customer" or "unavailable"; `detail` flinkey's sentence.
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = detail


def fleet_of(user) -> Fleet:
    """The fleet `user` may see now; raises SetupNeeded or FlinkeyError (see reach)."""
    return proven_fleet(user)


def unconfirmed_fleet(user, error: Exception) -> Fleet | None:
    """The fleet the user's stored credentials name, NOT proven: only when proving their
    reach just failed with `error` because flinkey gave no verdict on it (no answer in time,
    no connection, its own 5xx, "slow down"); None after any refusal or set-up problem.

    Only for the Fleet sync page's status (never the store's data): its customer is the one
    flinkey listed for the user's account when it was chosen (preferences' choose_customer),
    the one the failing-sync banner names unchecked too (fleetstore.context).
    """
    from fleetadmin.upstream.clients import api_base_url, credentials_of
    from flinkey import RateLimitedError, ServerError, UnavailableError

    if not isinstance(error, UnavailableError | ServerError | RateLimitedError):
        return None
    credentials = credentials_of(user)
    if credentials is None or not credentials.is_complete or credentials.customer_id is None:
        return None
    return Fleet(api_base_url(), credentials.customer_id)


def sync_of(fleet: Fleet) -> FleetSync | None:
    """The fleet's sync row (on or off), or None if sync was never turned on."""
    return FleetSync.objects.filter(api_url=fleet.api_url, customer_id=fleet.customer_id).first()


def enabled_sync(fleet: Fleet) -> FleetSync | None:
    """The fleet's sync row while sync is on, else None."""
    found = sync_of(fleet)
    return found if found is not None and found.enabled else None


def stored_fleet(user) -> FleetSync | None:
    """The synced store `user` may read now, or None (sync off; or not proven: raises)."""
    return enabled_sync(fleet_of(user))


def synced_store(user) -> FleetSync | None:
    """The synced store `user` may read now, or None (sync off, or its first full sync has
    not finished); raises SetupNeeded or FlinkeyError when their reach cannot be proven.

    For screens that have nothing but the store (the reports): they say what went wrong.
    """
    found = stored_fleet(user)
    return found if found is not None and found.synced_at is not None else None


def store_for(user) -> FleetSync | None:
    """The store a fleet-wide screen reads for `user`, or None: ask flinkey live.

    None also when the user's reach cannot be proven now (set-up missing, flinkey refusing
    or down): the live path then says what is wrong, in its own words. A store that has
    never finished a full sync is not read either.
    """
    from fleetadmin.upstream.clients import SetupNeeded
    from flinkey import FlinkeyError

    try:
        return synced_store(user)
    except (SetupNeeded, FlinkeyError):
        return None


def learnt_live(*, customer_id: int | None, car=None, car_id: int | None = None,
                location=None, past: bool = False) -> None:
    """Write what a page just asked flinkey live back into the fleet's store.

    Only a car the store already holds, only while sync is on; no check of the user's reach
    is needed: the answer came from flinkey for `customer_id` with the user's own
    credentials. `past`: `location` answers a past moment (the sample nearest to it), so
    it is kept as a sample only, not as the car's latest. Never raises (a page must not
    fail over the store); returns nothing.
    """
    import logging

    from fleetstore.models import StoredCar
    from fleetstore.sync import CAR_FIELDS, store_location, store_sample

    try:
        fleet = _enabled_sync_of(customer_id)
        if fleet is None:
            return
        now = timezone.now()
        car_id = car.id if car is not None else car_id
        if car is not None:
            StoredCar.objects.filter(fleet=fleet, car_id=car_id).update(
                learnt_at=now, **{name: getattr(car, name) for name in CAR_FIELDS})
        if location is not None:
            stored = StoredCar.objects.filter(fleet=fleet, car_id=car_id).first()
            if stored is not None and past:
                store_sample(stored, location, learnt_at=now)
            elif stored is not None:
                store_location(stored, location, learnt_at=now)
    except Exception:
        logging.getLogger(__name__).warning("fleet store: could not keep a live answer",
                                            exc_info=True)


def learnt_live_route(*, customer_id: int | None, car_id: int, locations) -> int:
    """Keep the positions a live route asked flinkey for as the car's position samples, so
    the next route of the period finds them in the store and asks flinkey less.

    As learnt_live: only a car the store already holds, only while sync is on, the answers
    came from flinkey for `customer_id` with the user's own credentials (its reach proven).
    Each is stored at the moment the IQ recorded it, as the sampling job keeps them (an
    upsert by car and moment: asking twice stores once); positions older than the store
    keeps (FLEETSTORE_RETENTION_DAYS) are left out, the daily prune would delete them. The
    car's latest position is not touched: a route's answers say nothing of what came after.
    Never raises; returns how many samples were written.
    """
    import logging

    from django.conf import settings

    from fleetstore.models import StoredCar
    from fleetstore.sync import store_samples

    try:
        fleet = _enabled_sync_of(customer_id)
        if fleet is None:
            return 0
        stored = StoredCar.objects.filter(fleet=fleet, car_id=car_id).first()
        if stored is None:
            return 0
        now = timezone.now()
        oldest = now - timedelta(days=settings.FLEETSTORE_RETENTION_DAYS)
        return store_samples(stored, locations, learnt_at=now, within=(oldest, now))
    except Exception:
        logging.getLogger(__name__).warning("fleet store: could not keep a live route",
                                            exc_info=True)
        return 0


def car_written(*, customer_id: int | None, car) -> None:
    """Keep a car fleetadmin just created or changed in flinkey in the fleet's store at once.

    Without it the list read from the store would miss a new car, or show a changed one's
    old values, until the next full sync: people create the car they cannot find again.
    `car` is the car as flinkey now holds it (a new car: what was sent; its devices,
    position and events stay unknown, as the sync's first look at a new car leaves them
    until it asks). The row is upserted as the sync upserts the car list's rows, and is
    current again (`gone_at` cleared): flinkey has just accepted a write to it. Only while
    sync is on for `customer_id`, the customer the write went to. Never raises (the write
    succeeded; the store catches up at the next sync anyway); returns nothing.
    """
    import logging

    from fleetstore.models import StoredCar
    from fleetstore.sync import CAR_FIELDS

    try:
        fleet = _enabled_sync_of(customer_id)
        if fleet is None:
            return
        # learnt_at now: a full sync whose car list was read before this write neither
        # marks the car gone nor puts the list's older values back (fleetstore.sync).
        row = StoredCar(fleet=fleet, car_id=car.id, learnt_at=timezone.now(), gone_at=None,
                        **{name: getattr(car, name) for name in CAR_FIELDS})
        StoredCar.objects.bulk_create([row], update_conflicts=True,
                                      unique_fields=["fleet", "car_id"],
                                      update_fields=[*CAR_FIELDS, "learnt_at", "gone_at"])
    except Exception:
        logging.getLogger(__name__).warning("fleet store: could not keep a car written",
                                            exc_info=True)


def car_deleted(*, customer_id: int | None, car_id: int) -> None:
    """Mark a car fleetadmin just deleted in flinkey as gone from the fleet's store at once,
    as a full sync marks a car its complete list no longer has (`gone_at`; its history
    stays). Only while sync is on for `customer_id`; never raises; returns nothing."""
    import logging

    from fleetstore.models import StoredCar

    try:
        fleet = _enabled_sync_of(customer_id)
        if fleet is None:
            return
        StoredCar.objects.filter(fleet=fleet, car_id=car_id, gone_at__isnull=True).update(
            gone_at=timezone.now())
    except Exception:
        logging.getLogger(__name__).warning("fleet store: could not keep a car deleted",
                                            exc_info=True)


def _enabled_sync_of(customer_id: int | None) -> FleetSync | None:
    """The sync row of `customer_id` at the configured API while sync is on, else None."""
    from fleetadmin.upstream.clients import api_base_url

    if customer_id is None:
        return None
    return enabled_sync(Fleet(api_url=api_base_url(), customer_id=customer_id))


@dataclass(frozen=True)
class Credential:
    """A sync credential as typed into the form (never stored like this)."""

    api_key: str
    username: str
    password: str
    customer_id: int

    def __repr__(self):
        return f"<Credential customer={self.customer_id}>"


@sensitive_variables("api_key", "username", "password", "credential")
def check_credential(*, fleet: Fleet, api_key: str, username: str, password: str) -> None:
    """Raise CredentialRefused unless the login works and reaches the fleet's customer."""
    from flinkey import AuthenticationError, FlinkeyError, UnavailableError

    credential = Credential(api_key, username, password, fleet.customer_id)
    try:
        client = client_from(credential, base_url=fleet.api_url, within=20, metered=False)
        customers = client.list_customers()
    except AuthenticationError as error:
        raise CredentialRefused("credentials", error.message) from None
    except UnavailableError as error:
        raise CredentialRefused("unavailable", error.message) from None
    except FlinkeyError as error:
        raise CredentialRefused("credentials", error.message) from None
    if not any(customer.id == fleet.customer_id for customer in customers):
        raise CredentialRefused("customer")


@sensitive_variables("api_key", "username", "password")
def turn_on(*, user, fleet: Fleet, customer_name: str, api_key: str, username: str,
            password: str) -> FleetSync:
    """Turn sync on for `fleet` (or rotate its credential), audited; enqueues a first sync.

    Raises CredentialRefused (nothing stored then).
    """
    check_credential(fleet=fleet, api_key=api_key, username=username, password=password)
    with transaction.atomic():
        existing = FleetSync.objects.select_for_update().filter(
            api_url=fleet.api_url, customer_id=fleet.customer_id).first()
        was_on = existing is not None and existing.enabled
        target = existing or FleetSync(api_url=fleet.api_url, customer_id=fleet.customer_id)
        target.customer_name = customer_name or target.customer_name
        target.api_key, target.username, target.password = api_key, username, password
        target.enabled = True
        target.credential_changed_at = timezone.now()
        target.last_error, target.last_error_detail, target.last_error_at = "", "", None
        target.save()
        record(user=user, action="fleetsync.rotate" if was_on else "fleetsync.enable",
               customer_id=fleet.customer_id, customer_name=target.customer_name,
               changes={"changed": "sync_credential"})
    request_refresh(user=user, fleet_sync=target, audited=False)
    return target


def turn_off(*, user, fleet: Fleet) -> bool:
    """Turn sync off and forget the sync credential (audited); False if it was not on."""
    with transaction.atomic():
        existing = FleetSync.objects.select_for_update().filter(
            api_url=fleet.api_url, customer_id=fleet.customer_id, enabled=True).first()
        if existing is None:
            return False
        existing.enabled = False
        # The stored data stays (turned on again, the sync goes on from it); the credential
        # does not: an admin turning sync off expects fleetadmin to hold no login for it.
        existing.api_key = existing.username = existing.password = ""
        existing.save()
        record(user=user, action="fleetsync.disable", customer_id=fleet.customer_id,
               customer_name=existing.customer_name)
    return True


def request_refresh(*, user, fleet_sync: FleetSync, audited: bool = True) -> bool:
    """Enqueue a full sync of the fleet now ("refresh now"); the page shows its progress.

    False (nothing enqueued) while a run is under way or an earlier request still waits
    for a worker: many people pressing it at once cost one sync, not one each. The check
    and the mark are one conditional UPDATE, so two requests at once cannot both pass.
    """
    from django.db.models import Q

    now = timezone.now()
    newest = fleet_sync.runs.order_by("-started_at").first()
    if newest is not None and newest.outcome == SyncRun.Outcome.RUNNING and (
            newest.heartbeat_at > now - timedelta(seconds=_stale_seconds())):
        return False
    not_waiting = Q(refresh_requested_at__isnull=True) | Q(
        refresh_requested_at__lt=now - _WAITING_LIMIT)
    if newest is not None:
        not_waiting |= Q(refresh_requested_at__lt=newest.started_at)
    if not FleetSync.objects.filter(pk=fleet_sync.pk).filter(not_waiting).update(
            refresh_requested_at=now):
        return False
    # Enqueued once the transaction (if any) is committed: a worker must find the row.
    transaction.on_commit(lambda: sync_fleet.enqueue(fleet_sync.pk, True))
    if audited:
        record(user=user, action="fleetsync.refresh", customer_id=fleet_sync.customer_id,
               customer_name=fleet_sync.customer_name)
    return True


# A "refresh now" no worker took up within this long may be asked again (workers down).
_WAITING_LIMIT = timedelta(minutes=10)


def _stale_seconds() -> int:
    from django.conf import settings

    return settings.FLEETSTORE_LEASE_SECONDS


@dataclass(frozen=True)
class Status:
    """What the page shows about a fleet's sync."""

    fleet_sync: FleetSync | None
    run: SyncRun | None  # the newest run
    waiting: bool  # "refresh now" pressed, no run started since
    next_full: datetime | None
    next_samples: datetime | None

    @property
    def running(self) -> bool:
        return self.run is not None and self.run.outcome == SyncRun.Outcome.RUNNING

    @property
    def busy(self) -> bool:
        """True while the page should keep polling."""
        return self.waiting or self.running

    @property
    def error_text(self) -> str:
        error = self.fleet_sync.last_error if self.fleet_sync else ""
        return str(SyncRun.Error(error).label) if error in SyncRun.Error.values else ""

    @property
    def credential_fault(self) -> bool:
        """True when only another sync credential mends the last error (refused, or no
        longer reaching the customer); any other error the sync gets over by itself."""
        return bool(self.fleet_sync) and self.fleet_sync.last_error in (
            SyncRun.Error.CREDENTIALS, SyncRun.Error.CUSTOMER)

    @property
    def flinkey_fault(self) -> bool:
        """True when the last error was flinkey's: no answer in time, or an error of its own."""
        return bool(self.fleet_sync) and self.fleet_sync.last_error in (
            SyncRun.Error.UNAVAILABLE, SyncRun.Error.UPSTREAM)

    @property
    def unanswered(self) -> bool:
        """True when flinkey gave no answer at all: the error's detail is the client's own
        description (fleetadmin.web.problems.Problem.detail_is_ours), not flinkey's words."""
        return bool(self.fleet_sync) and self.fleet_sync.last_error == SyncRun.Error.UNAVAILABLE

    @property
    def next_run(self) -> datetime | None:
        """When the sync runs next by itself (a full sync or a position sample)."""
        return min((when for when in (self.next_full, self.next_samples) if when), default=None)


def status_of(fleet_sync: FleetSync | None) -> Status:
    """Return the fleet's status for the page (None: sync never turned on)."""
    if fleet_sync is None:
        return Status(None, None, False, None, None)
    run = fleet_sync.runs.order_by("-started_at").first()
    requested = fleet_sync.refresh_requested_at
    waiting = bool(fleet_sync.enabled and requested and (run is None or run.started_at < requested)
                   and requested > timezone.now() - _WAITING_LIMIT)
    return Status(fleet_sync, run, waiting, _next(fleet_sync, SyncRun.Kind.FULL),
                  _next(fleet_sync, SyncRun.Kind.SAMPLES))


def _next(fleet_sync: FleetSync, kind: str) -> datetime | None:
    if not fleet_sync.enabled:
        return None
    kinds = [kind] if kind == SyncRun.Kind.FULL else [kind, SyncRun.Kind.FULL]
    newest = fleet_sync.runs.filter(kind__in=kinds).order_by("-started_at").first()
    if newest is None:
        return timezone.now()
    return max(newest.started_at + timedelta(minutes=sync.minutes_between(fleet_sync, kind)),
               timezone.now())
