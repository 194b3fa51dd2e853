"""New users with credentials but no customer land on the choice, not on a blocked page.

A page that shows a customer's fleet (cars, maps, events) can only say "You have not chosen
a customer yet" (CustomerNotChosen) for such a user. For a page load (GET, not an htmx
region) this middleware sends them to the switch page instead, with `next` back to where
they were going; after choosing they continue there. htmx regions, forms sent and the
pages that need no customer (Settings, users, audit log) are left as they are.
"""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from fleetadmin.models import FlinkeyCredentials

# URL namespaces whose pages show a customer's fleet.
FLEET_NAMESPACES = frozenset({"cars", "maps", "events"})


class CustomerChoiceMiddleware:
    """Redirects a page load of a fleet page to the customer choice while none is chosen.

    Must sit below AuthenticationMiddleware and HtmxMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = request.resolver_match
        if (request.method != "GET" or getattr(request, "htmx", False)
                or match is None or match.namespace not in FLEET_NAMESPACES):
            return None
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        try:
            credentials = user.flinkey_credentials
        except FlinkeyCredentials.DoesNotExist:
            return None  # no credentials: the page says to enter them on Settings
        if not credentials.is_complete or credentials.customer_id is not None:
            return None
        query = urlencode({"next": request.get_full_path()})
        return redirect(f"{reverse('customers')}?{query}")
