"""The audit log page and its CSV export (read-only: entries are never edited or deleted)."""

import json
from datetime import UTC, datetime, time, timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from audit.recording import (
    ACTIONS,
    action_label,
    can_view_all,
    field_label,
    value_label,
    visible_entries,
)
from fleetadmin.web.csv_export import ExcelCsv, csv_response, file_stamp
from fleetadmin.web.csv_export import cell as _cell
from fleetadmin.web.dates import DayField
from fleetadmin.web.htmx import render_screen, screen
from fleetadmin.web.ids import FlinkeyIdField

PAGE_SIZE = 50
TEMPLATE = "audit/audit.html"

# The filters' days keep to fleetadmin.web.dates' range (year 1 and 9999 overflow Python's
# datetime once a time zone shifts them, and SQLite's date range); the car id is a flinkey
# id (fleetadmin.web.ids), so no number reaches the 64-bit column that would overflow it.


class AuditFilterForm(forms.Form):
    """Which entries to show: all fields optional, combined with AND."""

    user = forms.CharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False)
    car = FlinkeyIdField(label=_("Car ID"), required=False)
    since = DayField(label=_("From"), required=False)
    until = DayField(label=_("Until"), required=False)

    def __init__(self, *args, all_users=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("any"))] + [
            (name, label) for name, label in ACTIONS.items()
        ]
        if not all_users:
            # A fleet manager sees only their own entries: no one else to filter for.
            del self.fields["user"]

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end of the range is before its start."))
        return cleaned

    def filter(self, entries):
        """Return `entries` narrowed to the filters (days in the user's time zone).

        Invalid filters match nothing: the page shows the form's errors, not every entry.
        """
        if self.is_bound and not self.is_valid():
            return entries.none()
        data = self.cleaned_data if self.is_bound else {}
        if data.get("user"):
            entries = entries.filter(username__iexact=data["user"].strip())
        if data.get("action"):
            entries = entries.filter(action=data["action"])
        if data.get("car") is not None:
            entries = entries.filter(car_id=data["car"])
        zone = timezone.get_current_timezone()
        if data.get("since"):
            start = datetime.combine(data["since"], time.min, zone)
            entries = entries.filter(created_at__gte=start)
        if data.get("until"):
            end = datetime.combine(data["until"] + timedelta(days=1), time.min, zone)
            entries = entries.filter(created_at__lt=end)
        return entries


def _filtered(request):
    all_users = can_view_all(request.user)
    form = AuditFilterForm(request.GET or None, all_users=all_users)
    return form, form.filter(visible_entries(request.user)), all_users


def change_rows(changes) -> list[dict]:
    """Return one row per changed field: {"field", "before", "after"} or {"field", "value"}.

    Field names and the names some fields hold are shown in the reader's words.
    """
    rows = []
    for field, value in (changes or {}).items():
        label = field_label(field)
        if isinstance(value, dict) and {"before", "after"} <= value.keys():
            rows.append({"field": label, "before": value_label(field, value["before"]),
                         "after": value_label(field, value["after"])})
        elif isinstance(value, list):
            rows.append({"field": label,
                         "value": ", ".join(str(value_label(field, item)) for item in value)})
        else:
            rows.append({"field": label, "value": value_label(field, value)})
    return rows


@login_required
@require_GET
@screen
def audit_log(request):
    """Audit entries the user may read, filtered and paged; htmx gets the table only."""
    form, entries, all_users = _filtered(request)
    return _render_log(request, form, entries, all_users)


def _render_log(request, form, entries, all_users):
    status = 400 if form.is_bound and not form.is_valid() else 200
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    for entry in page.object_list:
        entry.change_rows = change_rows(entry.changes)
        entry.action_label = action_label(entry.action)
    context = {
        "form": form, "page": page, "all_users": all_users,
        "time_zone": timezone.get_current_timezone_name(),
    }
    return render_screen(request, TEMPLATE, context, regions=["audit-table"], status=status)


def csv_columns(zone_name: str) -> tuple[str, ...]:
    """The CSV's header in the reader's language; the local time's column names its zone."""
    # Literal msgids, one each, so that makemessages finds them.
    return (
        pgettext("audit CSV column", "id"),
        pgettext("audit CSV column", "when_utc"),
        pgettext("audit CSV column", "when_local (%(zone)s)") % {"zone": zone_name},
        pgettext("audit CSV column", "user"),
        pgettext("audit CSV column", "sso_subject"),
        pgettext("audit CSV column", "action"),
        pgettext("audit CSV column", "affected_user"),
        pgettext("audit CSV column", "customer_id"),
        pgettext("audit CSV column", "customer_name"),
        pgettext("audit CSV column", "car_id"),
        pgettext("audit CSV column", "car_name"),
        pgettext("audit CSV column", "event_id"),
        pgettext("audit CSV column", "outcome"),
        pgettext("audit CSV column", "upstream_status"),
        pgettext("audit CSV column", "message"),
        pgettext("audit CSV column", "changes"),
    )


@login_required
@require_GET
def audit_export(request):
    """The filtered entries as CSV (all pages), streamed once the filters are valid."""
    form, entries, all_users = _filtered(request)
    if form.is_bound and not form.is_valid():
        # Before the first byte: a stream cannot turn into an error page halfway through.
        return _render_log(request, form, entries, all_users)
    # Read now: the stream is consumed after the view (and its language and time zone
    # activation) returned. The style is the user's language's (German: ";", BOM).
    zone = timezone.get_current_timezone()
    writer = ExcelCsv(zone=zone)
    header = csv_columns(timezone.get_current_timezone_name())

    def rows():
        yield writer.row(header)
        for entry in entries.iterator(chunk_size=500):
            yield writer.row([_cell(value) for value in (
                entry.pk,
                entry.created_at.astimezone(UTC).isoformat(),
                entry.created_at.astimezone(zone).isoformat(),
                entry.username, entry.sso_subject, entry.action, entry.target,
                entry.customer_id, entry.customer_name, entry.car_id, entry.car_name,
                entry.event_id, entry.outcome, entry.upstream_status, entry.message,
                json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
            )])

    return csv_response(rows(), writer=writer,
                        filename=f"fleetadmin-audit-{file_stamp(zone)}.csv")
