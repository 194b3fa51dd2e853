"""The signed-in user's time zone and language, applied to every request."""

import zoneinfo

from django.conf import settings
from django.utils import timezone, translation

from fleetadmin.web.languages import is_language, set_language_cookie


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
