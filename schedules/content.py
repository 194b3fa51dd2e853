"""What a run's e-mail holds: the report as a table, the file in the recipient's language
and zone (the screen kit's CSV and XLSX writers), the subject and the text."""

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.left_open import stored_report
from fleetadmin.web.csv_export import ExcelCsv, csv_style
from fleetadmin.web.xlsx_export import XLSX_TYPE, xlsx_file
from reports import exports, tables
from reports.catalogue import REPORTS
from reports.scope import people_of
from schedules.models import LEFT_OPEN, Run, Schedule

LEFT_OPEN_COLUMNS = [
    tables.Column("car_id", gettext_lazy("Car"), tables.CAR),
    tables.Column("car_name", gettext_lazy("Name")),
    tables.Column("license_plate", gettext_lazy("Licence plate")),
    tables.Column("opened_at", gettext_lazy("Opened"), tables.MOMENT),
    tables.Column("opened_by", gettext_lazy("Opened by"), tables.USER),
    tables.Column("hours_open", gettext_lazy("Hours open"), tables.NUMBER),
]


def report_choices() -> list[tuple[str, str]]:
    """Every report a schedule can send: the catalogue's and "left open"."""
    return [(slug, report.title) for slug, report in REPORTS.items()] + [
        (LEFT_OPEN, gettext_lazy("Left open"))]


def report_title(slug: str) -> str:
    return str(dict(report_choices()).get(slug, slug))


def table_of(schedule: Schedule, run: Run, *, zone, now: datetime) -> tables.Table:
    """The run's report over its period (left open and service ends: as of now)."""
    store = schedule.fleet
    if schedule.report == LEFT_OPEN:
        return _left_open(store, hours=schedule.left_open_hours, now=now)
    options = {"start": run.start, "end": run.end}
    if schedule.report == "utilisation":
        options["zone"] = zone
    return REPORTS[schedule.report].build(store, **options)


def _left_open(store, *, hours: int, now: datetime) -> tables.Table:
    report = stored_report(store, hours=hours, now=now)
    rows = [(state.car.id, state.car.name, state.car.license_plate,
             state.event.utc_date_time, state.event.user_id,
             int((now - state.event.utc_date_time).total_seconds() // 3600))
            for state in report.left_open(hours=hours, now=now)]
    return tables.Table(title=_("Left open"), columns=LEFT_OPEN_COLUMNS, rows=rows,
                        people=people_of(store))


@dataclass(frozen=True)
class Attachment:
    filename: str
    content: bytes
    mimetype: str
    rows: int


def attachment(schedule: Schedule, table: tables.Table, run: Run, *, zone) -> Attachment:
    """The table as the schedule's file, written in the active language's style."""
    name = exports.filename(schedule.report, run.first_day, run.last_day, schedule.format)
    rows = list(exports.rows(table))
    if schedule.format == Schedule.Format.CSV:
        writer = ExcelCsv(style=csv_style(), zone=zone)
        text = writer.start() + writer.row(exports.header(table)) + "".join(
            writer.row(values) for values in rows)
        return Attachment(name, text.encode("utf-8"), "text/csv", len(rows))
    with xlsx_file(exports.header(table), rows, title=table.title, zone=zone) as file:
        return Attachment(name, file.read(), XLSX_TYPE, len(rows))


def locale_of(user) -> tuple[str, str]:
    """(language, zone name) of a recipient: their preferences, else the project's."""
    preferences = getattr(user, "preferences", None) if user is not None else None
    language = getattr(preferences, "language", "") or settings.LANGUAGE_CODE
    zone = getattr(preferences, "time_zone", "") or settings.FLEETADMIN_DEFAULT_TIME_ZONE
    return language, zone


def history_link(schedule: Schedule) -> str:
    return settings.FLEETADMIN_BASE_URL.rstrip("/") + reverse("schedules:runs",
                                                              args=[schedule.pk])


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    attachment: Attachment


def message_for(run: Run, user, *, now: datetime | None = None) -> Message:
    """The e-mail of `run` for `user`, in their language and zone."""
    now = now or timezone.now()
    schedule = run.schedule
    language, zone_name = locale_of(user)
    zone = zoneinfo.ZoneInfo(zone_name)
    with translation.override(language), timezone.override(zone):
        table = table_of(schedule, run, zone=zone, now=now)
        file = attachment(schedule, table, run, zone=zone)
        context = {"schedule": schedule, "run": run, "title": report_title(schedule.report),
                   "rows": file.rows, "filename": file.filename, "zone": zone_name,
                   "dated": schedule.report not in ("service-ends", LEFT_OPEN),
                   "link": history_link(schedule), "made_at": now}
        subject = render_to_string("schedules/email_subject.txt", context)
        body = render_to_string("schedules/email_body.txt", context)
    return Message(" ".join(subject.split()), body, file)
