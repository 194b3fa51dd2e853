"""`check --deploy`: alert e-mails and webhooks link to FLEETADMIN_BASE_URL, which must be
the address people really open fleetadmin at (the default is a developer's machine)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}  # noqa: S104 - names, not a bind


@checks.register(checks.Tags.security, deploy=True)
def links_lead_somewhere(app_configs, **kwargs):
    address = urlsplit(settings.FLEETADMIN_BASE_URL)
    if address.scheme == "https" and (address.hostname or "") not in LOCAL_HOSTS:
        return []
    return [checks.Warning(
        f"FLEETADMIN_BASE_URL is {settings.FLEETADMIN_BASE_URL!r}: the links in alert e-mails "
        "and webhooks would not reach fleetadmin.",
        hint="Set FLEETADMIN_BASE_URL to the https address people open fleetadmin at, "
             "e.g. https://fleetadmin.example.com.",
        id="alerts.W001",
    )]
