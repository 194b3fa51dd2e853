"""Service ends: every device of every car, overdue first, then the soonest to end.

The period does not narrow it (a service end is a date, not an activity): it lists what the
store holds now. Devices without a service end come last.
"""

from datetime import datetime, timedelta

from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from fleetstore.models import FleetSync, StoredProduct
from reports import tables
from reports.scope import car_keys

SOON_DAYS = 30

COLUMNS = [
    tables.Column("car_id", _("Car"), tables.CAR),
    tables.Column("car_name", _("Name")),
    tables.Column("license_plate", _("Licence plate")),
    tables.Column("device", _("Device")),
    tables.Column("serial_number", _("Serial number")),
    tables.Column("service_ends_at", _("Service ends"), tables.MOMENT),
    tables.Column("days_left", _("Days left"), tables.NUMBER),
    tables.Column("state", _("State")),
]

ENDED = _("ended")
ENDING = _("ends within 30 days")
RUNNING = _("running")
UNKNOWN = _("not known")


def build(store: FleetSync, *, start: datetime | None = None, end: datetime | None = None,
          car_ids=None, now: datetime | None = None) -> tables.Table:
    now = now or timezone.now()
    products = (StoredProduct.objects.filter(car__in=car_keys(store, car_ids))
                .order_by(F("service_ends_at").asc(nulls_last=True), "car__name",
                          "car__car_id", "product_id")
                .values_list("car__car_id", "car__name", "car__license_plate", "type",
                             "serial_number", "service_ends_at"))

    def rows_of(batch):
        return [(car_id, name, plate, kind, serial, ends,
                 (ends - now).days if ends is not None else None, str(_state(ends, now)))
                for car_id, name, plate, kind, serial, ends in batch]

    return tables.Table(title=pgettext("report title", "Service ends"), columns=COLUMNS,
                        rows=tables.LazyRows(products, rows_of))


def _state(ends: datetime | None, now: datetime):
    if ends is None:
        return UNKNOWN
    if ends < now:
        return ENDED
    if ends <= now + timedelta(days=SOON_DAYS):
        return ENDING
    return RUNNING
