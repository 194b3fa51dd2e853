"""Views of the cars screens."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from cars import services
from fleetadmin.errors import user_message
from fleetadmin.flinkey import CredentialsMissing, CustomerNotChosen
from flinkey import FlinkeyError


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


@login_required
def car_list(request):
    """The customer's cars, one page at a time."""
    context = {"page": None, "error": None, "setup_needed": False}
    try:
        context["page"] = services.page_of_cars(user=request.user, page=_page_number(request))
    except (CredentialsMissing, CustomerNotChosen) as error:
        context.update(error=user_message(error), setup_needed=True)
    except FlinkeyError as error:
        context["error"] = user_message(error)
    template = "cars/car_list.html#car-table" if request.htmx else "cars/car_list.html"
    return render(request, template, context, status=502 if context["error"] and not context["setup_needed"] else 200)
