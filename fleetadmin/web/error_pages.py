"""The 500 page (part of the app when it can be, plain when even that fails), the 405 page,
and what error reports may show."""

import logging

from django.contrib import messages
from django.http import HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.urls import Resolver404, get_script_prefix, resolve
from django.utils.cache import patch_vary_headers
from django.utils.html import escape
from django.utils.translation import get_language, gettext, gettext_noop
from django.views.debug import SafeExceptionReporterFilter
from django.views.decorators.csrf import requires_csrf_token

from fleetadmin.web.htmx import FRAGMENT_HEADERS

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


def page_above(path_info: str) -> str | None:
    """Return the nearest address above `path_info` that is one of ours ("/users/5/" above
    "/users/5/role/"), with the script prefix; None when only the home page is.

    Our URLs nest a form's target under the page that shows the form, so this is where a
    person who opened the target goes on. (It may answer 404 for something gone since.)
    """
    parts = path_info.strip("/").split("/")[:-1]
    while parts:
        candidate = "/" + "/".join(parts) + "/"
        try:
            resolve(candidate)
        except Resolver404:
            parts.pop()
            continue
        return get_script_prefix() + candidate.lstrip("/")
    return None


class MethodNotAllowedPageMiddleware:
    """Gives the empty 405 of a view that refuses the method (require_POST,
    require_http_methods, a class view's http_method_not_allowed) a body, in one place.

    Browsers show their own bare error page for an empty 405. It is mostly a form's address
    opened as a page: a sent form's answer left it in the address bar and the person pressed
    Enter, or came back to it through the history; that gets templates/405.html with the
    menu and a way on. An htmx request (a page older than the server's URLs) gets a message
    in the status region and nothing swapped: the page it came from stays as it was. The
    status and the Allow header stay. Sits below the language, time zone and access
    middleware (the page is the user's) and above HtmxMessagesMiddleware (the message).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 405 or response.streaming or response.content:
            return response
        page = self.page(request)
        if "Allow" in response:
            page["Allow"] = response["Allow"]
        patch_vary_headers(page, FRAGMENT_HEADERS)
        return page

    @staticmethod
    def page(request) -> HttpResponse:
        htmx = getattr(request, "htmx", None)
        if htmx and not htmx.history_restore_request:
            messages.error(request, gettext(
                "This could not be done: the page is out of date. Reload it and try again."))
            answer = HttpResponse(status=405)
            answer["HX-Reswap"] = "none"
            return answer
        sent = request.method not in ("GET", "HEAD")
        way_on = request.get_full_path() if sent else page_above(request.path_info)
        return render(request, "405.html", {"sent": sent, "way_on": way_on}, status=405)


class SecretsHidingReporterFilter(SafeExceptionReporterFilter):
    """Hides what is marked sensitive also under DEBUG (Django's filter only acts without it).

    The demo runs with DEBUG on; its error page must not show flinkey credentials either.
    """

    def is_active(self, request):
        return True
