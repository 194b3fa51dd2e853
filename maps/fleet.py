"""What the fleet map shows of each car: where, how old the position is, open or closed, or
why it is not on the map. Plain data for static/js/maps.js, which draws the marker and the
car's row in the list beside the map (with textContent: names are data, never markup).

A 10,000-car map from the fleet store is built from here, so the words that many cars share
(a position's time and age, to the minute) are written once per batch, not once per car.
"""

from datetime import datetime, timedelta

from django.urls import get_script_prefix, get_urlconf
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cars.links import url_parts
from fleetadmin.web.dates import local_time
from fleetadmin.web.durations import ago_text
from fleetadmin.web.problems import problem_of
from flinkey import Event
from maps.services import FAILED, LOCATED, NO_DEVICE, NO_POSITION, Position

# How old a position is, in three bands: each has its colour AND its shape on the map, and
# its words in the list and the legend (colour is never the only cue).
FRESH = "fresh"  # under an hour
DAY = "day"  # under 24 hours
OLD = "old"  # older, or no time known
BANDS = ((FRESH, timedelta(hours=1)), (DAY, timedelta(hours=24)))
BAND_LABELS = {
    FRESH: gettext_lazy("Position under 1 hour old"),
    DAY: gettext_lazy("Position under 24 hours old"),
    OLD: gettext_lazy("Position older than 24 hours"),
}

# The list beside the map lays out this many rows of the cars its filter matches, and as many
# again for each "Show more": 10,000 rows laid out at once were most of the browser's time.
LIST_ROWS = 200

# Open or closed, from the car's last event; "unknown" where it is not known cheaply.
OPEN, CLOSED, UNKNOWN = "open", "closed", "unknown"
LOCK_LABELS = {
    OPEN: gettext_lazy("open"),
    CLOSED: gettext_lazy("closed"),
    UNKNOWN: gettext_lazy("open or closed: not known"),
}
_LOCKS = {Event.OPENED: OPEN, Event.CLOSED: CLOSED}


def offset_text(offset) -> str:
    """Return where the sample lies from the asked moment, in words."""
    if offset is None:
        return ""
    seconds = offset.total_seconds()
    if abs(seconds) < 60:
        return _("sample at the moment you asked for")
    now = timezone.now()
    span = timesince(now - abs(offset), now, depth=2)
    if seconds > 0:
        return _("sample %(span)s after the moment you asked for") % {"span": span}
    return _("sample %(span)s before the moment you asked for") % {"span": span}


def band_of(recorded_at: datetime | None, reference: datetime) -> str:
    """The age band of a position recorded at `recorded_at`, seen from `reference`."""
    if recorded_at is None:
        return OLD
    return band_of_age(abs(reference - recorded_at))


def band_of_age(age: timedelta) -> str:
    """The age band of a position `age` old."""
    for band, limit in BANDS:
        if age < limit:
            return band
    return OLD


def lock_of(event_type: str | None) -> str:
    """OPEN, CLOSED or UNKNOWN from the type of the car's newest event (None: not known)."""
    return _LOCKS.get(event_type, UNKNOWN)


def legend() -> list[tuple[str, str, str]]:
    """The legend's entries: (kind, value, words), the bands first, then the lock states."""
    return ([("band", band, str(label)) for band, label in BAND_LABELS.items()]
            + [("lock", lock, str(label)) for lock, label in LOCK_LABELS.items()])


class _Words:
    """The texts many cars share, each written once per batch: times and ages (to the
    minute, as they are shown) and a failed car's reason."""

    def __init__(self, at: datetime | None, now: datetime):
        self.at, self.now = at, now
        self.times, self.ages = {}, {}
        # Why a car is not on the map.
        self.no_iq = _("no flinkey IQ")
        self.no_answer = _("no position (no flinkey IQ, or none reported yet)")
        self.no_position = _("no position reported")

    def time(self, moment: datetime) -> str:
        # Keyed by the minute's fields and the zone object, not by a datetime: hashing an
        # aware datetime asks its zone for the offset, and a truncated copy per car was
        # the dearest line of a 10,000-car map from the store (~6 µs a car).
        minute = (moment.tzinfo, moment.year, moment.month, moment.day, moment.hour,
                  moment.minute)
        text = self.times.get(minute)
        if text is None:
            text = self.times[minute] = local_time(moment)
        return text

    def age(self, position: Position) -> str:
        if self.at is not None:
            return offset_text(position.offset)
        return self.age_at(position.location.recorded_at)

    def age_at(self, moment: datetime, seconds: float | None = None) -> str:
        """How long ago `moment` was (a map of "now"); `seconds`: that age, if known."""
        if seconds is None:
            seconds = (self.now - moment).total_seconds()
        # "12 minutes ago" changes with whole minutes of age: one text per minute.
        minutes = int(seconds // 60)
        text = self.ages.get(minutes)
        if text is None:
            text = self.ages[minutes] = ago_text(moment, self.now)
        return text


def car_data(positions: dict[int, Position], *, at: datetime | None, cars=(),
             ids=None, last_events=None) -> list[dict]:
    """The cars as the map's script draws them: `cars` (flinkey Cars) in their order, or the
    `ids` asked again (no names: their rows have them); `positions` by car id."""
    now = timezone.now()
    words = _Words(at, now)
    reference = at or now
    named = {car.id: car for car in cars}
    last_events = last_events or {}
    order = [car.id for car in cars] if ids is None else ids
    # A car's URL is the same but for its id (cars.links): looked up once, not per car.
    head, tail = url_parts("cars:detail", get_script_prefix(), get_urlconf())
    return [_one(named.get(car_id), positions[car_id], last_events.get(car_id), words,
                 reference, f"{head}{int(car_id)}{tail}") for car_id in order]


def stored_car_data(rows) -> list[dict]:
    """The cars of a fleet-store batch (rows of fleetstore.reads.MAP_FIELDS, in order) as the
    map's script draws them: the same items as `car_data` gives for the Positions those rows
    make (maps.services), built straight from the rows.

    Why: a 10,000-car map from the store is built here, and a Car, a Location and a Position
    made per car only to be read back into a dict were a third of the batches' server time.
    """
    now = timezone.now()
    words = _Words(None, now)
    head, tail = url_parts("cars:detail", get_script_prefix(), get_urlconf())
    items = []
    append = items.append
    for car_id, name, plate, has_iq, lat, lon, fix_at, odometer, last_type in rows:
        item = {"id": car_id, "state": LOCATED, "url": f"{head}{int(car_id)}{tail}",
                "lock": _LOCKS.get(last_type, UNKNOWN), "name": name, "plate": plate or ""}
        if has_iq is False:
            item["state"] = NO_DEVICE
            item["reason"] = words.no_iq
        elif lat is None or lon is None:
            # As Position.from_an_iq: the store's word on the IQ, else whether the stored
            # location (one with a position or an odometer) holds anything.
            stored = lat is not None or odometer is not None
            if has_iq or (has_iq is None and stored):
                item["state"] = NO_POSITION
                item["reason"] = words.no_position
            else:
                item["state"] = "no_answer"  # no IQ, or one that has not reported
                item["reason"] = words.no_answer
        else:
            item["lat"] = lat
            item["lon"] = lon
            if fix_at is None:
                item["band"] = OLD
            else:
                # The age once, for the band and the words.
                age = now - fix_at
                item["band"] = band_of_age(abs(age))
                item["time"] = words.time(fix_at)
                item["age"] = words.age_at(fix_at, age.total_seconds())
        append(item)
    return items


def _one(car, position: Position, last_event: str | None, words: _Words, reference,
         url: str) -> dict:
    item = {"id": position.car_id, "state": position.state, "url": url,
            "lock": _LOCKS.get(last_event, UNKNOWN)}
    if car is not None:
        item["name"] = car.name
        item["plate"] = car.license_plate or ""
    if position.state == LOCATED:
        loc = position.location
        item["lat"] = loc.latitude
        item["lon"] = loc.longitude
        item["band"] = band_of(loc.recorded_at, reference)
        if loc.recorded_at:
            item["time"] = words.time(loc.recorded_at)
            item["age"] = words.age(position)
    elif position.state == FAILED:
        item["reason"] = problem_of(position.error).headline
    elif position.state == NO_DEVICE:
        item["reason"] = words.no_iq
    elif position.state == NO_POSITION and not position.from_an_iq:
        item["state"] = "no_answer"  # no IQ, or one that has not reported: can't tell here
        item["reason"] = words.no_answer
    else:
        item["reason"] = words.no_position
    return item


__all__ = ["BANDS", "CLOSED", "DAY", "FRESH", "LIST_ROWS", "NO_DEVICE", "OLD", "OPEN", "UNKNOWN",
           "band_of", "car_data", "legend", "lock_of", "offset_text", "stored_car_data"]
