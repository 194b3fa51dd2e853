"""Request middleware of fleetadmin."""

import zoneinfo

from django.conf import settings
from django.utils import timezone


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
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            preferences = getattr(user, "preferences", None)
            if preferences is not None:
                return preferences.time_zone
        return settings.FLEETADMIN_DEFAULT_TIME_ZONE
