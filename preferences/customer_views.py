"""The customers a user's credentials reach, and the one-step switch between them (the
header's switch and its fallback page)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fleetadmin.upstream.clients import SetupNeeded
from fleetadmin.upstream.customer_switch import customers_of, safe_next
from fleetadmin.web.problems import problem_of
from flinkey import FlinkeyError
from preferences import services

CUSTOMERS_TEMPLATE = "fleetadmin/customers.html"


def _customer_id(value) -> int | None:
    try:
        customer_id = int(value)
    except (TypeError, ValueError):
        return None
    return customer_id if customer_id > 0 else None


@login_required
@require_GET
def customers_page(request):
    """The customers the user's credentials reach, each a one-step switch back to `next`."""
    next_url = safe_next(request, request.GET.get("next"))
    context = {"next_url": next_url, "customers": [], "problem": None}
    status = 200
    try:
        context["customers"] = customers_of(request.user)
    except (SetupNeeded, FlinkeyError) as error:
        context["problem"] = problem_of(error)
        status = context["problem"].status
    return render(request, CUSTOMERS_TEMPLATE, context, status=status)


@login_required
@require_POST
def switch_customer(request):
    """Work with the customer posted, then go back to `next` (a local page)."""
    next_url = safe_next(request, request.POST.get("next"))
    customer_id = _customer_id(request.POST.get("customer_id"))
    context = {"next_url": next_url, "customers": [], "problem": None}
    if customer_id is None:
        context["error"] = _("Choose one of the listed customers.")
        return _with_customers(request, context, status=400)
    try:
        chosen = services.choose_customer(user=request.user, customer_id=customer_id)
    except (SetupNeeded, FlinkeyError) as error:
        context["problem"] = problem_of(error)
        return render(request, CUSTOMERS_TEMPLATE, context, status=context["problem"].status)
    except services.CustomerUnreachable as unreachable:
        context["customers"] = unreachable.customers
        context["error"] = _("Your API manager cannot reach that customer.")
        return render(request, CUSTOMERS_TEMPLATE, context, status=400)
    messages.success(request, _("You now work with %(customer)s.") % {"customer": chosen.name})
    return redirect(next_url)


def _with_customers(request, context, *, status):
    try:
        context["customers"] = customers_of(request.user)
    except (SetupNeeded, FlinkeyError) as error:
        context["problem"] = problem_of(error)
    return render(request, CUSTOMERS_TEMPLATE, context, status=status)
