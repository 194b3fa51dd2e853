"""Middleware of signing in: a session that ended under htmx goes to log in; who may enter."""

from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, get_user_model, logout
from django.shortcuts import render, resolve_url
from django_htmx.http import HttpResponseClientRedirect

from accounts.access import ROLE_ADMIN, request_has_access


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


# Pages an account without a role may still open: signing out, the language, setting a
# password from a reset link.
OPEN_WITHOUT_ROLE = frozenset({
    "login", "logout", "set_language", "password-reset-confirm", "password-reset-complete",
})


class AccessMiddleware:
    """Signs deactivated accounts out; shows accounts without a role "no access yet".

    Deactivating an account deletes its sessions (accounts.user_admin), but a session kept
    elsewhere (a cache, a backend whose get_user does not check is_active, like
    mozilla-django-oidc's) must end too: checked on every request. An account with no role
    (new, or its role taken away) sees one page naming whom to ask, not the menu.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not user.is_active:
            logout(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        user = getattr(request, "user", None)
        if user is None or not request_has_access(request):
            match = request.resolver_match
            if user is not None and user.is_authenticated and (
                    match is None or match.url_name not in OPEN_WITHOUT_ROLE):
                return no_access(request)
        return None


def no_access(request):
    """The "no access yet" page (403), naming the administrators to ask."""
    administrators = (get_user_model().objects.filter(groups__name=ROLE_ADMIN, is_active=True)
                      .order_by("username"))
    template = "accounts/no_access.html#no-access" if request.htmx else "accounts/no_access.html"
    return render(request, template, {"administrators": administrators}, status=403)
