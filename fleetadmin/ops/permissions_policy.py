"""The Permissions-Policy header: browser features no page of ours uses are denied.

Denied for our pages and anything they might ever frame, so that an injected script (or
a framed page) cannot ask for the camera, the microphone, the browser's position or a
payment. The maps show where flinkey says the cars are; they never ask the browser where
it is (geolocation).
"""

from django.conf import settings


def header_value(denied) -> str:
    """`camera=(), microphone=(), ...`: an empty allowlist per feature."""
    return ", ".join(f"{feature}=()" for feature in denied)


class PermissionsPolicyMiddleware:
    """Adds Permissions-Policy to every answer (pages, fragments, JSON, errors, static files).

    Sits near the top of MIDDLEWARE, so the answers of the middleware below it (health
    checks, static files, error pages) carry it too.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        value = header_value(settings.PERMISSIONS_POLICY_DENIED)
        if value:
            response.headers.setdefault("Permissions-Policy", value)
        return response
