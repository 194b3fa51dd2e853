"""The 500 page (part of the app when it can be, plain when even that fails), and what error
reports may show."""

import logging

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

# What is left when the app's own page cannot be rendered (the fault may be in a template
# or a context processor): no template, no database, nothing that can fail again.
PLAIN = (
    "<!doctype html><html><head><meta charset='utf-8'><title>fleetadmin</title></head><body>"
    "<h1>Something went wrong in fleetadmin</h1><p>Try again in a moment; if it happens "
    "again, tell your administrator.</p><p><a href='/'>fleetadmin</a></p></body></html>"
)


@requires_csrf_token
def server_error(request):
    """Render templates/500.html with the request (menu, user); fall back to plain HTML."""
    try:
        return render(request, "500.html", status=500)
    except Exception:
        logger.exception("the 500 page itself failed")
        return HttpResponseServerError(PLAIN)


class SecretsHidingReporterFilter(SafeExceptionReporterFilter):
    """Hides what is marked sensitive also under DEBUG (Django's filter only acts without it).

    The demo runs with DEBUG on; its error page must not show flinkey credentials either.
    """

    def is_active(self, request):
        return True
