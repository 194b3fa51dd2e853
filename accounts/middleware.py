"""Middleware for signing in under htmx: a session that ended sends the browser to log in."""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import resolve_url
from django_htmx.http import HttpResponseClientRedirect


def login_url_for(request, next_url: str) -> str:
    """Return the login page's URL that brings the user back to `next_url` afterwards."""
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({REDIRECT_FIELD_NAME: next_url})}"


def page_path(request) -> str:
    """Return the path of the page an htmx request came from (not the fragment's URL)."""
    # current_url_abs_path is None unless the page is on this host: the header is
    # client-supplied and must not become an open redirect.
    htmx = getattr(request, "htmx", None)
    return (htmx and htmx.current_url_abs_path) or resolve_url(settings.LOGIN_REDIRECT_URL)


class HtmxLoginRedirectMiddleware:
    """An htmx request whose session ended gets HX-Redirect to the login page.

    Without this htmx follows login_required's 302 and swaps the whole login page into
    whatever panel made the request. The browser goes to the login page instead, and
    comes back to the page (not the fragment) afterwards.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not getattr(request, "htmx", False) or response.status_code not in (301, 302, 303, 307):
            return response
        location = urlsplit(response.get("Location", ""))
        if location.path != resolve_url(settings.LOGIN_URL):
            return response
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            return response
        return HttpResponseClientRedirect(login_url_for(request, page_path(request)))
