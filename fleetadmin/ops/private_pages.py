"""Pages for a signed-in person are never stored by the browser or any cache on the way.

Car data, settings and the audit log would otherwise stay in the browser's cache after
signing out, readable by the next person at that computer.
"""

from django.utils.cache import patch_cache_control


class PrivatePagesMiddleware:
    """Adds `Cache-Control: private, no-store` to every answer for a signed-in user."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
