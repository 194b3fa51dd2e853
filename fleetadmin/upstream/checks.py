"""System checks for what settings alone cannot refuse: which flinkey the dashboard talks to."""

from django.conf import settings
from django.core import checks

from fleetadmin.upstream.clients import SANDBOX


@checks.register()
def flinkey_api_url_is_set(app_configs, **kwargs):
    """An empty FLINKEY_API_URL is an error: no flinkey page could load."""
    if settings.FLINKEY_API_URL.strip():
        return []
    return [checks.Error(
        "FLINKEY_API_URL is not set.",
        hint="Set it to the flinkey API's base URL including /v3 (e.g. "
             "https://api.flinkey.de/v3), or to 'sandbox' for the demo's embedded sandbox.",
        id="fleetadmin.E001",
    )]


@checks.register(deploy=True)
def flinkey_sandbox_not_deployed(app_configs, **kwargs):
    """A deployment on the embedded sandbox would show made-up cars as if they were real."""
    if settings.FLINKEY_API_URL.strip() != SANDBOX:
        return []
    return [checks.Error(
        "FLINKEY_API_URL=sandbox serves the embedded demo sandbox, not the real flinkey API.",
        hint="Set FLINKEY_API_URL to https://api.flinkey.de/v3 (or the vendor's test "
             "environment, https://api-uat.flinkey.de/v3).",
        id="fleetadmin.E002",
    )]


@checks.register()
def flinkey_ca_bundle_exists(app_configs, **kwargs):
    """FLINKEY_CA_BUNDLE must name a file or directory: else every flinkey call would fail."""
    import os

    bundle = settings.FLINKEY_CA_BUNDLE.strip()
    if not bundle or os.path.exists(bundle):
        return []
    return [checks.Error(
        f"FLINKEY_CA_BUNDLE names {bundle!r}, which does not exist.",
        hint="Set it to a PEM file (or a directory of CA certificates) that flinkey's "
             "certificate chains to, or leave it empty for the system's CAs.",
        id="fleetadmin.E010",
    )]


@checks.register(deploy=True)
def client_address_known_behind_a_proxy(app_configs, **kwargs):
    """Behind a proxy, failed sign-ins must be counted per client, not per proxy.

    Every request then comes from the proxy's address: without LOGIN_CLIENT_IP_HEADER, a
    few wrong passwords from anyone lock the account out for everyone.
    """
    behind_a_proxy = [name for name, value in (
        ("SECURE_PROXY_SSL_HEADER", settings.SECURE_PROXY_SSL_HEADER),
        ("USE_X_FORWARDED_HOST", settings.USE_X_FORWARDED_HOST),
        ("USE_X_FORWARDED_PORT", settings.USE_X_FORWARDED_PORT),
        ("PROXY_AUTH_TRUSTED_PROXIES", settings.PROXY_AUTH_ENABLED
         and settings.PROXY_AUTH_TRUSTED_PROXIES),
    ) if value]
    if (not behind_a_proxy or not settings.LOCAL_LOGIN_ENABLED
            or settings.LOGIN_CLIENT_IP_HEADER):
        return []
    return [checks.Warning(
        f"fleetadmin runs behind a proxy ({', '.join(behind_a_proxy)} is set), but "
        "LOGIN_CLIENT_IP_HEADER is not: failed sign-ins are counted per proxy address, so a "
        "few wrong passwords from anyone lock an account out for every user.",
        hint="Let the load balancer set X-Forwarded-For (replacing what the client sent), "
             "then set LOGIN_CLIENT_IP_HEADER=X-Forwarded-For and "
             "LOGIN_CLIENT_IP_TRUSTED_PROXIES to the balancers' addresses.",
        id="fleetadmin.W020",
    )]
