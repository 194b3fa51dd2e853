"""The 500 page (part of the app when it can be, plain when even that fails), and what error
reports may show."""

import logging

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.utils.html import escape
from django.utils.translation import get_language, gettext, gettext_noop
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

# What is left when the app's own page cannot be rendered (the fault may be in a template
# or a context processor): no template, no database, nothing that can fail again.
PLAIN = (
    "<!doctype html><html lang='{lang}'><head><meta charset='utf-8'><title>fleetadmin</title>"
    "</head><body><h1>{headline}</h1><p>{advice}</p><p><a href='/'>fleetadmin</a></p>"
    "</body></html>"
)
HEADLINE = gettext_noop("Something went wrong in fleetadmin")
ADVICE = gettext_noop("Try again in a moment; if it happens again, tell your administrator.")


def plain_page() -> str:
    """Return the plain 500 page, in the request's language when translating still works."""
    try:
        words = {"lang": get_language() or "en", "headline": gettext(HEADLINE),
                 "advice": gettext(ADVICE)}
    except Exception:
        words = {"lang": "en", "headline": HEADLINE, "advice": ADVICE}
    return PLAIN.format(**{name: escape(value) for name, value in words.items()})


@requires_csrf_token
def server_error(request):
    """Render templates/500.html with the request (menu, user); fall back to plain HTML."""
    try:
        return render(request, "500.html", status=500)
    except Exception:
        logger.exception("the 500 page itself failed")
        return HttpResponseServerError(plain_page())


class SecretsHidingReporterFilter(SafeExceptionReporterFilter):
    """Hides what is marked sensitive also under DEBUG (Django's filter only acts without it).

    The demo runs with DEBUG on; its error page must not show flinkey credentials either.
    """

    def is_active(self, request):
        return True
