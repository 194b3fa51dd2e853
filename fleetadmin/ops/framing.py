"""Being shown inside an intranet portal: framing allowed by CSP, cookies that survive it."""

from http.cookies import Morsel

from django.conf import settings


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
