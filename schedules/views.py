"""The Scheduled reports pages: the fleet's schedules, one schedule's form, its run history
and "send now".

The fleet is the store the user may read (fleetstore.services.stored_fleet: the fleet their
own credentials reach, with sync on). Fleet managers and admins create, change, delete and
send now; support reads everything and changes nothing (403).
"""


from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import can_write, forbidden, write_access_required
from fleetstore import screens
from schedules import changes, timing
from schedules.content import report_title
from schedules.forms import ScheduleForm
from schedules.models import Run, Schedule
from schedules.tasks import enqueue_due

RUNS_PAGE_SIZE = 30


with_store = screens.with_store(problem_template="schedules/problem.html",
                                no_store_template="schedules/no_store.html")


def _schedule_of(fleet, schedule_id: int) -> Schedule:
    try:
        return Schedule.objects.select_related("fleet", "owner").get(fleet=fleet,
                                                                     pk=schedule_id)
    except Schedule.DoesNotExist:
        raise Http404(_("This scheduled report is not one of your fleet's.")) from None


@login_required
@require_GET
@with_store
def index(request, fleet):
    now = timezone.now()
    rows = [{"schedule": schedule, "title": report_title(schedule.report),
             "next": timing.next_due(schedule, now) if schedule.enabled else None,
             "last": schedule.runs.first()}
            for schedule in Schedule.objects.filter(fleet=fleet).select_related("owner")]
    return render(request, "schedules/index.html", {
        "fleet": fleet, "rows": rows, "can_change": can_write(request.user)})


def _form_page(request, fleet, form, schedule, *, status=200):
    if not can_write(request.user):
        for field in form.fields.values():
            field.disabled = True
    owner = schedule.owner if schedule is not None else request.user
    return render(request, "schedules/form.html", {
        "fleet": fleet, "form": form, "schedule": schedule, "owner": owner,
        "zone": schedule.time_zone if schedule else changes.zone_of(request.user),
        "next": timing.next_due(schedule, timezone.now()) if schedule and schedule.enabled
        else None,
        "can_change": can_write(request.user)}, status=status)


@write_access_required
@require_http_methods(["GET", "POST"])
@with_store
def create(request, fleet):
    blank = Schedule(fleet=fleet, owner=request.user, time_zone=changes.zone_of(request.user),
                     left_open_hours=settings.FLEETADMIN_LEFT_OPEN_HOURS)
    if request.method == "GET":
        form = ScheduleForm(instance=blank, fleet=fleet, owner=request.user,
                            initial={"at_time": "07:00"})
        return _form_page(request, fleet, form, None)
    form = ScheduleForm(request.POST, instance=blank, fleet=fleet, owner=request.user)
    if not form.is_valid():
        return _form_page(request, fleet, form, None, status=422)
    schedule = changes.save_schedule(by=request.user, form=form, before=None)
    messages.success(request, _("The scheduled report was saved."))
    return redirect("schedules:detail", schedule.pk)


@login_required
@require_http_methods(["GET", "POST"])
@with_store
def detail(request, fleet, schedule_id: int):
    """The schedule's form: changed by fleet managers and admins, read by support."""
    schedule = _schedule_of(fleet, schedule_id)
    if request.method == "GET":
        form = ScheduleForm(instance=schedule, fleet=fleet, owner=schedule.owner)
        return _form_page(request, fleet, form, schedule)
    if not can_write(request.user):
        return forbidden(request)
    before = changes.values_of(schedule)
    form = ScheduleForm(request.POST, instance=schedule, fleet=fleet, owner=schedule.owner)
    if not form.is_valid():
        return _form_page(request, fleet, form, schedule, status=422)
    changes.save_schedule(by=request.user, form=form, before=before)
    messages.success(request, _("The scheduled report was saved."))
    return redirect("schedules:detail", schedule.pk)


@write_access_required
@require_http_methods(["GET", "POST"])
@with_store
def delete(request, fleet, schedule_id: int):
    """Delete a schedule and its run history, asked first (GET), as people's "Remove" is."""
    schedule = _schedule_of(fleet, schedule_id)
    if request.method == "GET":
        return render(request, "schedules/delete.html",
                      {"schedule": schedule, "runs": schedule.runs.count()})
    changes.delete_schedule(by=request.user, schedule=schedule)
    messages.success(request, _("The scheduled report was deleted."))
    return redirect("schedules:index")


@write_access_required
@require_POST
@with_store
def send_now(request, fleet, schedule_id: int):
    """A run now (its period counted from today), sent by a worker; the history shows it."""
    schedule = _schedule_of(fleet, schedule_id)
    run = changes.send_now(by=request.user, schedule=schedule)
    if run is None or not run.mailings.exists():
        messages.warning(request, _("Nobody can receive this report: neither the owner nor "
                                    "anyone chosen has an e-mail address and access to the "
                                    "fleet."))
    else:
        enqueue_due()
        messages.success(request, _("The report is being made and sent; its row below "
                                    "shows how it went."))
    return redirect("schedules:runs", schedule.pk)


@login_required
@require_GET
@with_store
def runs(request, fleet, schedule_id: int):
    """The run history: every run, each recipient's e-mail, its status, attempts, error."""
    schedule = _schedule_of(fleet, schedule_id)
    page = Paginator(Run.objects.filter(schedule=schedule).prefetch_related("mailings"),
                     RUNS_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "schedules/runs.html", {
        "fleet": fleet, "schedule": schedule, "title": report_title(schedule.report),
        "page": page, "can_change": can_write(request.user)})
