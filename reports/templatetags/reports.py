"""`{{ value|report_cell:column }}`: a report's plain value as the page shows it."""

from datetime import date, datetime

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from fleetadmin.web.coordinates import coordinate_text
from fleetadmin.web.dates import local_time
from reports import tables

register = template.Library()


@register.filter
def report_cell(value, column: tables.Column) -> str:
    if value is None:
        return "—"
    if column.kind == tables.FLAG:
        return _("yes") if value else _("no")
    if column.kind == tables.KM:
        return formats.number_format(value, 1, use_l10n=True, force_grouping=True)
    if column.kind == tables.COORDINATE:
        return coordinate_text(value)  # a decimal point in every language (README, Languages)
    if isinstance(value, int) and not isinstance(value, bool):
        return formats.number_format(value, use_l10n=True, force_grouping=True)
    if isinstance(value, datetime):
        return local_time(value)
    if isinstance(value, date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return str(value)


@register.filter
def cells(row, columns):
    """(column, value) pairs of a row, for the template's loop."""
    return zip(columns, row, strict=True)


@register.filter
def moment(value) -> str:
    """An aware datetime in the reader's zone, as the app writes times."""
    return local_time(value) if isinstance(value, datetime) else "—"
