"""A report's table as a CSV or XLSX file: the same columns as the page, plain values.

A USER column becomes two in a file, the person's name and the flinkey user id; a FLAG is
"yes" / "no" in the reader's language. The screen kit does the rest (formula guard, the
language's CSV style, typed XLSX cells).
"""

import csv
from datetime import date, datetime, tzinfo

from django.utils import timezone
from django.utils.translation import gettext as _

from fleetadmin.web.csv_export import CSV_TIME_FORMAT, Echo, ExcelCsv, cell, csv_response
from fleetadmin.web.xlsx_export import xlsx_response
from reports import tables


def header(table: tables.Table) -> list[str]:
    labels = []
    for column in table.columns:
        if column.kind == tables.USER:
            labels += [_("Person"), str(column.label)]
        else:
            labels.append(str(column.label))
    return labels


def rows(table: tables.Table):
    """The table's rows as a file holds them (an iterator: read while writing)."""
    yes, no = _("yes"), _("no")
    kinds = [column.kind for column in table.columns]
    if tables.USER not in kinds and tables.FLAG not in kinds:
        yield from table.rows  # as they are: nothing to split or to put into words
        return
    people = table.people
    for row in table.rows:
        values = []
        for kind, value in zip(kinds, row, strict=True):
            if kind == tables.USER:
                person = people.get(value) if people is not None else None
                values += [person.name if person else None, value]
            elif kind == tables.FLAG:
                values.append(None if value is None else yes if value else no)
            else:
                values.append(value)
        yield values


def _quick_values(writer: ExcelCsv):
    """values → their CSV texts as `writer.value` writes them, by a lookup on each value's
    exact type instead of its chain of isinstance tests (a 200,000-row file has millions
    of cells); any other type (bool, Decimal, …) goes to `writer.value` itself."""
    decimal = writer.style.decimal
    zone = writer.zone

    def real(value: float) -> str:
        return str(value).replace(".", decimal)

    def moment(value: datetime) -> str:
        local = value.astimezone(zone) if value.tzinfo is not None else value
        if local.year < 1000:  # isoformat pads the year, strftime may not
            return local.strftime(CSV_TIME_FORMAT)
        return local.isoformat(" ", "seconds")[:19]  # CSV_TIME_FORMAT, without the offset

    by_type = {type(None): lambda _value: "", int: str, float: real, str: cell,
               datetime: moment, date: date.isoformat}
    fallback = writer.value

    def convert(values) -> list[str]:
        return [by_type.get(type(value), fallback)(value) for value in values]

    return convert


def filename(slug: str, first_day, last_day, extension: str) -> str:
    return f"fleetadmin-{slug}-{first_day:%Y%m%d}-{last_day:%Y%m%d}.{extension}"


def as_csv(table: tables.Table, *, filename: str, zone: tzinfo | None = None):
    writer = ExcelCsv(zone=zone or timezone.get_current_timezone())
    labels = header(table)
    convert = _quick_values(writer)
    # The kit's writer's CSV dialect; the values converted as its `value` does.
    lines_of = csv.writer(Echo(), delimiter=writer.style.delimiter)

    def lines():
        yield writer.row(labels)
        for values in rows(table):
            yield lines_of.writerow(convert(values))

    return csv_response(lines(), writer=writer, filename=filename)


def as_xlsx(table: tables.Table, *, filename: str, zone: tzinfo | None = None):
    return xlsx_response(header(table), rows(table), title=table.title, filename=filename,
                         zone=zone)
