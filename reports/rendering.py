"""A report's rows as the page's cells, built in Python: a 10,000-row report would take
seconds through the template engine, cell by cell. Everything is escaped (format_html)."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from reports import tables
from reports.templatetags.reports import report_cell

# A report page shows this many rows at a time (the files hold them all). Here, not in the
# views, so that the mileage page's live batches (mileage_page) count pages the same way
# without importing the views.
PAGE_ROWS = 200


def cells(table: tables.Table, rows, people) -> list[list[tuple[str, str]]]:
    """Each row's cells as (column label, safe HTML), in column order."""
    labels = [str(column.label) for column in table.columns]
    id_title = _("flinkey user id")
    car_urls: dict = {}
    result = []
    for row in rows:
        out = []
        for column, value in zip(table.columns, row, strict=True):
            if value is None:
                out.append("—")
            elif column.kind == tables.CAR:
                url = car_urls.get(value) or car_urls.setdefault(
                    value, reverse("cars:detail", args=[value]))
                out.append(format_html('<a href="{}">{}</a>', url, value))
            elif column.kind == tables.USER:
                # As people's {% flinkey_user %} shows it (name and id, or the bare id).
                person = people.get(value) if people is not None else None
                if person is not None:
                    out.append(format_html(
                        '<span class="person-name">{}</span> <span class="mono muted '
                        'person-id" title="{}">{}</span>', person.name, id_title, value))
                else:
                    out.append(format_html('<span class="mono person-id">{}</span>', value))
            else:
                out.append(format_html("{}", report_cell(value, column)))
        result.append(list(zip(labels, out, strict=True)))
    return result
