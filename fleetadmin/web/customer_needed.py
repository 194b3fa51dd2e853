"""New users with credentials but no customer land on the choice, not on a blocked page.

A page that shows a customer's fleet (cars, maps, events) can only say "You have not chosen
a customer yet" (CustomerNotChosen) for such a user. For a page load (GET, not an htmx
region) this middleware sends them to the switch page instead, with `next` back to where
they were going; after choosing they continue there. htmx regions, forms sent and the
pages that need no customer (Settings, users, audit log) are left as they are. A page that
answered "You have not chosen a customer yet" (409) is replaced by the redirect, so no
flinkey call was made for it and nothing of it is lost.
"""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from fleetadmin.models import FlinkeyCredentials
from fleetadmin.web.problems import SETUP_STATUS

# The longest `next` carried to the choice.
MAX_NEXT_LENGTH = 2000
# URL namespaces whose pages show a customer's fleet.
FLEET_NAMESPACES = frozenset({"cars", "maps", "events"})


class CustomerChoiceMiddleware:
    """Turns a fleet page's "no customer chosen" answer into a redirect to the choice.

    Looks only at answers with the set-up status (409), so ordinary pages cost nothing: the
    credentials were read by the view already (credentials_of keeps them on the user).
    Must sit below AuthenticationMiddleware and HtmxMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != SETUP_STATUS or not self._wants_choice(request):
            return response
        target = reverse("customers")
        back = request.get_full_path()
        # A page's address longer than any a person follows is left out of `next` (Django
        # refuses to redirect past 16,384 characters): the choice still comes.
        if len(back) <= MAX_NEXT_LENGTH:
            target += "?" + urlencode({"next": back})
        return redirect(target)

    @staticmethod
    def _wants_choice(request) -> bool:
        match = request.resolver_match
        if (request.method != "GET" or getattr(request, "htmx", False)
                or match is None or match.namespace not in FLEET_NAMESPACES):
            return False
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        try:
            credentials = user.flinkey_credentials
        except FlinkeyCredentials.DoesNotExist:
            return False  # no credentials: the page says to enter them on Settings
        return credentials.is_complete and credentials.customer_id is None
