"""Project-wide middleware: the user's time zone and language, being shown inside a portal."""

import zoneinfo
from http.cookies import Morsel

from django.conf import settings
from django.utils import timezone, translation

from fleetadmin.languages import is_language, set_language_cookie


class UserTimeZoneMiddleware:
    """Activates the signed-in user's time zone so templates show local times."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.activate(zoneinfo.ZoneInfo(self._zone_name(request)))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    @staticmethod
    def _zone_name(request) -> str:
        preferences = _preferences(request)
        if preferences is not None:
            return preferences.time_zone
        return settings.FLEETADMIN_DEFAULT_TIME_ZONE


def _preferences(request):
    """Return the signed-in user's UserPreferences, or None (anonymous, or none saved yet)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "preferences", None)


class UserLanguageMiddleware:
    """Applies the language the signed-in user chose, over the browser's.

    LocaleMiddleware (above) has picked the language cookie's or the browser's
    (Accept-Language); a user's saved choice (UserPreferences.language) wins over both. The
    answer carries the choice in the language cookie too, so the login page after signing
    out, and the first page of the next session, speak it as well. Must sit below
    AuthenticationMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        chosen = self._chosen(request)
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = self.get_response(request)
        if not chosen and request.user is not user:
            # Signing in replaced request.user: the new user's choice goes into the cookie.
            chosen = self._chosen(request)
        # A view that changed the choice has set the cookie itself.
        if (chosen and request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME) != chosen
                and settings.LANGUAGE_COOKIE_NAME not in response.cookies):
            set_language_cookie(response, chosen)
        return response

    @staticmethod
    def _chosen(request) -> str:
        preferences = _preferences(request)
        language = preferences.language if preferences is not None else ""
        return language if is_language(language) else ""


class PortalFramingMiddleware:
    """Leaves X-Frame-Options out when portal origins may frame the app.

    X-Frame-Options knows only DENY and SAMEORIGIN and would block the portal in browsers
    that honour it; CSP frame-ancestors (always sent) then names exactly who may frame.
    With no portal configured, X-Frame-Options: DENY stays as the fallback for old browsers.
    Must sit below XFrameOptionsMiddleware in MIDDLEWARE so it sees the response first.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if settings.FRAME_ANCESTORS:
            response.xframe_options_exempt = True
        return response


class _PartitionedMorsel(Morsel):
    """A cookie sent with the Partitioned attribute (CHIPS; http.cookies knows it from 3.14)."""

    def OutputString(self, attrs=None):  # noqa: N802 - the stdlib's name
        return super().OutputString(attrs) + "; Partitioned"


class PartitionedCookiesMiddleware:
    """Marks the session, CSRF and language cookies Partitioned when they are SameSite=None.

    A portal on another site frames fleetadmin: its cookies are third-party there, and
    browsers that block third-party cookies still accept partitioned ones (kept per
    top-level site, so a session inside the portal is separate from one opened directly).
    Must sit above SessionMiddleware and CsrfViewMiddleware, to see the cookies they set.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME,
                     settings.LANGUAGE_COOKIE_NAME):
            mark_partitioned(response, name)
        return response


def mark_partitioned(response, name: str) -> None:
    """Send the cookie `name` set on `response` Partitioned if it is SameSite=None; Secure.

    For cookies set outside the three above (the single sign-on cookie, accounts.oidc_state).
    """
    morsel = response.cookies.get(name)
    if morsel is None or isinstance(morsel, _PartitionedMorsel):
        return
    if str(morsel["samesite"]).lower() != "none" or not morsel["secure"]:
        return
    partitioned = _PartitionedMorsel()
    partitioned.update(morsel)
    partitioned.set(morsel.key, morsel.value, morsel.coded_value)
    response.cookies[name] = partitioned
