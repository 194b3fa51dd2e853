"""A report's table as a CSV or XLSX file: the same columns as the page, plain values.

A USER column becomes two in a file, the person's name and the flinkey user id; a FLAG is
"yes" / "no" in the reader's language. The screen kit does the rest (formula guard, the
language's CSV style, typed XLSX cells).
"""

from datetime import tzinfo

from django.utils import timezone
from django.utils.translation import gettext as _

from fleetadmin.web.csv_export import ExcelCsv, csv_response
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
    for row in table.rows:
        values = []
        for column, value in zip(table.columns, row, strict=True):
            if column.kind == tables.USER:
                person = table.people.get(value) if table.people is not None else None
                values += [person.name if person else None, value]
            elif column.kind == tables.FLAG:
                values.append(None if value is None else yes if value else no)
            else:
                values.append(value)
        yield values


def filename(slug: str, first_day, last_day, extension: str) -> str:
    return f"fleetadmin-{slug}-{first_day:%Y%m%d}-{last_day:%Y%m%d}.{extension}"


def as_csv(table: tables.Table, *, filename: str, zone: tzinfo | None = None):
    writer = ExcelCsv(zone=zone or timezone.get_current_timezone())
    labels = header(table)

    def lines():
        yield writer.row(labels)
        for values in rows(table):
            yield writer.row(values)

    return csv_response(lines(), writer=writer, filename=filename)


def as_xlsx(table: tables.Table, *, filename: str, zone: tzinfo | None = None):
    return xlsx_response(header(table), rows(table), title=table.title, filename=filename,
                         zone=zone)
