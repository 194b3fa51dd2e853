"""What a screen that only works on the fleet store shares: getting the store, or saying why not."""

from functools import wraps

from django.shortcuts import render

from fleetadmin.upstream.clients import SetupNeeded
from fleetadmin.web.problems import problem_of
from fleetstore.services import stored_fleet
from flinkey import FlinkeyError


def with_store(*, problem_template: str, no_store_template: str):
    """Decorate a view `view(request, fleet, …)` to be given the store the user may read.

    When the user's reach cannot be proven, `problem_template` says why (with `problem`);
    when sync is off for their customer, `no_store_template` says so.
    """

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            try:
                fleet = stored_fleet(request.user)
            except (SetupNeeded, FlinkeyError) as error:
                problem = problem_of(error)
                return render(request, problem_template, {"problem": problem},
                              status=problem.status)
            if fleet is None:
                return render(request, no_store_template, status=200)
            return view(request, fleet, *args, **kwargs)

        return wrapped

    return decorate
