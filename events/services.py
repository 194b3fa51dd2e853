"""Event operations the views call: keyword-only functions, every upstream call through the client.

The timeline pages by cursor, never by $skip: each page asks for the events older than the
last one shown (ties broken by id), newest first. Events recorded while someone scrolls then
land above what they have seen and never shift a row onto two pages or onto none.
Reads raise FlinkeyError (and SetupNeeded from client_for); the one write runs inside
audit.recording.
"""

import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import cache
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from audit.recording import recording
from events.car_time import car_local_time
from fleetadmin.upstream.clients import client_for, credentials_of
from fleetadmin.web.dates import in_range
from fleetadmin.web.ids import parse_id
from fleetstore import reads
from fleetstore.services import store_for
from flinkey import Event, Location, Query, odata

# What the URL and the forms say, and what the API calls it.
OPENED, CLOSED = "opened", "closed"
API_TYPE = {OPENED: Event.OPENED, CLOSED: Event.CLOSED}
KIND = {Event.OPENED: OPENED, Event.CLOSED: CLOSED}
# Newest first; the id breaks ties between events of the same moment.
NEWEST_FIRST = (("utc_date_time", "desc"), ("id", "desc"))


def page_size() -> int:
    """Return how many events one timeline request shows (FLEETADMIN_EVENTS_PAGE_SIZE)."""
    # The client asks one row more than a page and takes at most 1,000.
    return max(1, min(settings.FLEETADMIN_EVENTS_PAGE_SIZE, 999))


# --- cursor and filters -------------------------------------------------------------------

# UTC to the microsecond, and the API's seventh fraction digit when it has one; then the id.
_CURSOR = re.compile(r"(\d{8}T\d{6}\.\d{6})(\d?)Z_(\d+)")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: events older than `utc`, or as old with an id below `id`.

    `ticks`: the seventh fraction digit of the last event's utcDateTime (.NET keeps 100 ns),
    which `utc` cannot hold. Without it, an event in the same microsecond as the page's
    last one, or tied with it at a lower id, would fall between the two pages.
    """

    utc: datetime
    id: int
    ticks: int = 0

    @classmethod
    def after(cls, event: Event) -> "Cursor":
        """Return the cursor of the page following `event`."""
        return cls(event.utc_date_time.astimezone(UTC), event.id, event.utc_ticks)

    @classmethod
    def parse(cls, text: object) -> "Cursor | None":
        """Return the cursor in a URL's `before` value, or None when there is none (or junk)."""
        match = _CURSOR.fullmatch(str(text or ""))
        if not match:
            return None
        try:
            moment = datetime.strptime(match[1], "%Y%m%dT%H%M%S.%f").replace(tzinfo=UTC)
        except ValueError:
            return None
        # Id 0 is a bound ("before the day's first event"), not an id; year 1 or 9999
        # cannot be shown in every zone (the page groups by the user's days).
        event_id = parse_id(match[3], minimum=0)
        if event_id is None or not in_range(moment):
            return None
        return cls(moment, event_id, int(match[2] or 0))

    def token(self) -> str:
        """Return the cursor as the URL's `before` value (UTC to 100 ns, id)."""
        ticks = str(self.ticks) if self.ticks else ""
        return f"{self.utc.astimezone(UTC):%Y%m%dT%H%M%S.%f}{ticks}Z_{self.id}"

    def expression(self) -> odata.Expr:
        """Return `utcDateTime lt T or (utcDateTime eq T and id lt N)`."""
        moment = odata.Instant(self.utc, self.ticks) if self.ticks else self.utc
        return odata.lt("utc_date_time", moment) | (
            odata.eq("utc_date_time", moment) & odata.lt("id", self.id)
        )


@dataclass(frozen=True)
class Filters:
    """What the timeline is narrowed to; days are the user's days (first and last, inclusive)."""

    kind: str = ""  # "", OPENED or CLOSED
    user_id: int | None = None
    since: date | None = None
    until: date | None = None

    @property
    def active(self) -> bool:
        """Return True when any filter is set."""
        return bool(self.kind or self.user_id is not None or self.since or self.until)

    def as_query(self) -> dict[str, str]:
        """Return the URL parameters of these filters (unset ones left out)."""
        query = {}
        if self.kind:
            query["type"] = self.kind
        if self.user_id is not None:
            query["user"] = str(self.user_id)
        if self.since:
            query["since"] = self.since.isoformat()
        if self.until:
            query["until"] = self.until.isoformat()
        return query

    def expression(self, zone: tzinfo) -> odata.Expr | None:
        """Return the $filter of these filters, days converted from `zone` to UTC instants."""
        parts = []
        if self.kind:
            parts.append(odata.eq("type", API_TYPE[self.kind]))
        if self.user_id is not None:
            parts.append(odata.eq("user_id", self.user_id))
        if self.since:
            parts.append(odata.ge("utc_date_time", day_start(self.since, zone)))
        if self.until:
            parts.append(odata.lt("utc_date_time", day_start(self.until + timedelta(days=1),
                                                                zone)))
        return _all_of(parts)


def day_start(day: date, zone: tzinfo) -> datetime:
    """Return the UTC instant at which `day` begins in `zone`."""
    return datetime.combine(day, time.min, zone).astimezone(UTC)


def _all_of(parts: list) -> odata.Expr | None:
    expression = None
    for part in parts:
        expression = part if expression is None else expression & part
    return expression


def timeline_query(filters: Filters, cursor: Cursor | None, zone: tzinfo) -> Query:
    """Return the OData query (filter and order, no $top) of one timeline page."""
    parts = [filters.expression(zone), cursor.expression() if cursor else None]
    return Query(filter=_all_of([part for part in parts if part is not None]),
                 orderby=NEWEST_FIRST)


# --- the timeline -------------------------------------------------------------------------


@dataclass(frozen=True)
class TimelinePage:
    """Events newest first and whether older ones exist (one row more was there)."""

    events: tuple[Event, ...]
    has_more: bool

    @property
    def next_cursor(self) -> Cursor | None:
        """Return the cursor of the next (older) page, or None at the end."""
        return Cursor.after(self.events[-1]) if self.has_more and self.events else None


def page_of_events(*, user, car_id: int, filters: Filters, cursor: Cursor | None,
                   zone: tzinfo, size: int | None = None) -> TimelinePage:
    """Return one timeline page: one upstream call ($top = size + 1); raise FlinkeyError."""
    return _page(client_for(user), car_id, filters, cursor, zone, size or page_size())


def _page(client, car_id, filters, cursor, zone, size) -> TimelinePage:
    # page=1: no $skip beyond 0 ever; the cursor in $filter says where the page starts.
    page = client.page_events(car_id, timeline_query(filters, cursor, zone), page=1,
                              page_size=size)
    return TimelinePage(page.items, page.has_next)


class EventWalk:
    """Up to `limit` events of the filtered timeline, newest first, one page in memory at a time.

    `start()` fetches the first page (so a failing API is known before anything is sent);
    iterating yields the events and fetches each further page with one call. Afterwards
    `truncated` says whether events beyond `limit` exist, `sent` how many were yielded.
    Iterating raises FlinkeyError when a later page fails.
    """

    def __init__(self, *, user, car_id: int, filters: Filters, zone: tzinfo, limit: int,
                 size: int = 1000):
        self._client = client_for(user)
        self._args = (car_id, filters)
        self._zone = zone
        self._limit = limit
        self._size = size
        self._first: TimelinePage | None = None
        self.sent = 0
        self.truncated = False

    def _fetch(self, cursor: Cursor | None) -> TimelinePage:
        car_id, filters = self._args
        size = max(1, min(self._size, self._limit - self.sent))
        return _page(self._client, car_id, filters, cursor, self._zone, size)

    def start(self) -> None:
        """Fetch the first page; raise FlinkeyError."""
        if self._first is None:
            self._first = self._fetch(None)

    def __iter__(self) -> Iterator[Event]:
        self.start()
        page = self._first
        while True:
            for event in page.events:
                if self.sent >= self._limit:
                    self.truncated = True
                    return
                yield event
                self.sent += 1
            if not page.has_more:
                return
            if self.sent >= self._limit:
                self.truncated = True
                return
            page = self._fetch(page.next_cursor)


@dataclass(frozen=True)
class Day:
    """The events of one of the user's days; `continued` when the day began on a page above."""

    day: date
    events: list = field(default_factory=list)
    continued: bool = False


def by_day(items, zone: tzinfo, *, after: Cursor | None = None,
           when=lambda item: item) -> list[Day]:
    """Return `items` (newest first) grouped by the day their event happened in `zone`.

    `after` is where this page starts: its day, already headed above, is `continued`.
    `when(item)` returns an item's Event.
    """
    previous = after.utc.astimezone(zone).date() if after else None
    days: list[Day] = []
    for item in items:
        day = when(item).utc_date_time.astimezone(zone).date()
        if not days or days[-1].day != day:
            days.append(Day(day, [], continued=day == previous and not days))
        days[-1].events.append(item)
    return days


def get_event(*, user, event_id: int) -> Event:
    """Return the event; raise NotFoundError (not this customer's, or none), FlinkeyError."""
    return client_for(user).get_event(event_id)


def current_position(*, user, car_id: int) -> Location:
    """Return the car's latest position sample; raise NotFoundError, FlinkeyError."""
    return client_for(user).get_location(car_id)


# --- who recorded it ----------------------------------------------------------------------

_FLINKEY_APP = re.compile(r"flinkey/(?P<version>[\w.\-]+)\s*\((?P<details>[^)]*)\)", re.I)
_IOS = re.compile(r"\biOS\s+(?P<version>[\d.]+)", re.I)
_ANDROID = re.compile(r"\bAndroid\s+(?P<version>[\d.]+)\s*;\s*(?P<device>[^;)]+)?", re.I)
_FLEETADMIN = re.compile(r"fleetadmin/(?P<version>[\w.\-]+)", re.I)
_AGENT_SHOWN = 60  # an unknown agent is shown cut to this many characters (all of it on hover)


def describe_agent(agent: str | None) -> str:
    """Return the app behind a user agent in words ("flinkey app 3.14.2 on iOS 17.5.1")."""
    agent = (agent or "").strip()
    if not agent:
        return _("unknown app")
    if match := _FLEETADMIN.match(agent):
        return _("fleetadmin %(version)s (recorded by hand)") % {"version": match["version"]}
    if match := _FLINKEY_APP.match(agent):
        details = match["details"]
        version = match["version"]
        if ios := _IOS.search(details):
            return _("flinkey app %(version)s on iOS %(os)s") % {
                "version": version, "os": ios["version"]}
        if android := _ANDROID.search(details):
            if android["device"] and android["device"].strip():
                return _("flinkey app %(version)s on Android %(os)s (%(device)s)") % {
                    "version": version, "os": android["version"],
                    "device": android["device"].strip()}
            return _("flinkey app %(version)s on Android %(os)s") % {
                "version": version, "os": android["version"]}
        return _("flinkey app %(version)s") % {"version": version}
    if len(agent) > _AGENT_SHOWN:
        return agent[: _AGENT_SHOWN - 1] + "…"
    return agent


@cache
def fleetadmin_version() -> str:
    """Return fleetadmin's version as pyproject.toml states it ("unknown" without it)."""
    try:
        with (Path(settings.BASE_DIR) / "pyproject.toml").open("rb") as file:
            return str(tomllib.load(file)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def user_agent() -> str:
    """Return the user agent of events recorded through fleetadmin (names it and its version)."""
    return f"fleetadmin/{fleetadmin_version()} (manual entry)"


# --- recording an event -------------------------------------------------------------------


@dataclass(frozen=True)
class NewEvent:
    """What a fleet manager records: the moment is aware (their zone), sent as UTC and local."""

    car_id: int
    kind: str
    moment: datetime
    user_id: int
    latitude: float | None = None
    longitude: float | None = None


def create_event(*, user, new: NewEvent) -> int:
    """Record the event and return its id; raise FlinkeyError (never retried), ValueError."""
    client = client_for(user)
    credentials = credentials_of(user)
    agent = user_agent()
    utc = new.moment.astimezone(UTC)
    # dateTime is the car's clock reading (as the flinkey apps send it), never the zone of
    # the person recording: the fleet's zone (events.car_time).
    local = car_local_time(new.moment)
    values = {
        "type": API_TYPE[new.kind],
        "utc_date_time": utc.isoformat(),
        "date_time": local.isoformat(),
        "user_id": new.user_id,
        "user_agent": agent,
        "latitude": new.latitude,
        "longitude": new.longitude,
    }
    # The audit entry names the car as the fleet store knows it (no call of its own for it).
    store = store_for(user)
    with recording(
        user=user, action="event.create",
        customer_id=credentials.customer_id if credentials else None, car_id=new.car_id,
        car_name=reads.car_name(store, new.car_id) if store is not None else None,
        changes={name: {"before": None, "after": value} for name, value in values.items()},
    ) as entry:
        # A PUT creates: never repeated. A timeout raises UpstreamTimeout with
        # write_outcome_unknown, and the person is told to look at the timeline first.
        event_id = client.create_event(
            car_id=new.car_id, user_id=new.user_id, type=API_TYPE[new.kind],
            utc_date_time=utc, date_time=local, user_agent=agent,
            latitude=new.latitude, longitude=new.longitude,
        )
        entry.event_id = event_id
    return event_id
