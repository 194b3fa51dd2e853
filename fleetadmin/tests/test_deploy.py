"""Production settings: `check --deploy` passes, and the environment drives what it should.

Each case imports the settings in a fresh process with only the given environment, because
the settings module reads the environment once, at import. The processes are forked from
one that has imported only the libraries (`fresh_process.py`): a second of CPU less a case.
"""

import json
import os
import subprocess
from pathlib import Path

import pytest
from django.utils.csp import CSP

from fleetadmin.tests.fresh_process import FreshProcesses

pytestmark = pytest.mark.slow  # a fresh interpreter per case

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "x" * 20 + "-production-like-secret-key-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "fleetadmin.example.com",
    "FLINKEY_API_URL": "https://api.flinkey.de/v3",
    "EMAIL_URL": "smtp+tls://fleetadmin@mail.example.com:587",
    "FLEETADMIN_BASE_URL": "https://fleetadmin.example.com",
}
# Variables of ours that must not leak from the test run's environment into a case.
OURS = ("DJANGO_", "OIDC_", "PROXY_AUTH_", "FRAME_ANCESTORS", "LOCAL_LOGIN", "SESSION_COOKIE",
        "LOGIN_", "FLINKEY_", "FLEETADMIN_", "DATABASE_URL", "CACHE_URL", "EMAIL_")


def _env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(OURS)}
    env.update(PRODUCTION)
    env.update({k: v for k, v in overrides.items() if v is not None})
    for name, value in overrides.items():
        if value is None:
            env.pop(name, None)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings"
    return env


_fresh: list[FreshProcesses] = []


@pytest.fixture(scope="module", autouse=True)
def fresh_processes():
    _fresh.append(FreshProcesses(_env()))
    yield
    _fresh.pop().close()


def run(args, **overrides) -> subprocess.CompletedProcess:
    """`python ARGS` in a fresh process with the production environment and `overrides`."""
    return _fresh[-1].run(args, _env(**overrides))


def settings_with(**overrides) -> dict:
    script = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "names = ['DEBUG', 'SECURE_SSL_REDIRECT', 'SECURE_HSTS_SECONDS', "
        "'SECURE_HSTS_INCLUDE_SUBDOMAINS', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', "
        "'SESSION_COOKIE_SAMESITE', 'CSRF_COOKIE_SAMESITE', 'X_FRAME_OPTIONS', "
        "'SILENCED_SYSTEM_CHECKS', 'FRAME_ANCESTORS', 'SECURE_PROXY_SSL_HEADER', "
        "'OIDC_ENABLED', 'OIDC_OP_TOKEN_ENDPOINT', 'OIDC_RP_SCOPES', 'OIDC_ADMIN_GROUPS', "
        "'OIDC_TIMEOUT', 'OIDC_USE_PKCE', 'LOCAL_LOGIN_ENABLED', 'AUTHENTICATION_BACKENDS', "
        "'MIDDLEWARE', 'PROXY_AUTH_TRUSTED_PROXIES', 'PROXY_AUTH_HEADER']; "
        "d = {n: getattr(s, n) for n in names}; "
        "d['frame-ancestors'] = [str(v) for v in s.SECURE_CSP['frame-ancestors']]; "
        "d['csp'] = {k: [str(v) for v in vs] for k, vs in s.SECURE_CSP.items()}; "
        "d['database'] = {n: s.DATABASES['default'].get(n) "
        "for n in ('CONN_MAX_AGE', 'CONN_HEALTH_CHECKS')}; "
        "print(json.dumps(d, default=list))"
    )
    done = run(["-c", script], **overrides)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_check_deploy_passes_with_production_settings():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_deploy_passes_with_sso_a_cross_site_portal_and_a_proxy():
    done = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        OIDC_ENABLED="true", OIDC_OP_ISSUER="https://idp.corp.example",
        OIDC_RP_CLIENT_ID="fleetadmin", OIDC_RP_CLIENT_SECRET="s3cret",
        LOCAL_LOGIN_ENABLED="false", FRAME_ANCESTORS="https://portal.other.example",
        DJANGO_CROSS_SITE_COOKIES="true", PROXY_AUTH_ENABLED="true",
        PROXY_AUTH_TRUSTED_PROXIES="10.0.0.1", DJANGO_SECURE_PROXY_SSL_HEADER=
        "HTTP_X_FORWARDED_PROTO,https",
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_check_deploy_refuses_the_embedded_sandbox():
    done = run(["manage.py", "check", "--deploy"], FLINKEY_API_URL="sandbox")
    assert done.returncode != 0
    assert "fleetadmin.E002" in done.stderr


def test_an_unset_flinkey_api_url_is_an_error_not_the_sandbox():
    done = run(["manage.py", "check"], FLINKEY_API_URL=None)
    assert done.returncode != 0
    assert "fleetadmin.E001" in done.stderr
    assert run(["manage.py", "check"], FLINKEY_API_URL="sandbox").returncode == 0


def test_check_deploy_warns_when_mail_stays_in_the_outbox():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], EMAIL_URL=None)
    assert done.returncode != 0
    assert "outbox.W001" in done.stderr


def test_the_ci_deploy_check_configures_mail():
    assert "EMAIL_URL=smtp" in (ROOT / ".ci" / "run").read_text()


@pytest.mark.parametrize("base_url", [None, "http://fleetadmin.example.com",
                                      "https://localhost:8000"])
def test_check_deploy_warns_when_alert_links_would_not_reach_fleetadmin(base_url):
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
               FLEETADMIN_BASE_URL=base_url)
    assert done.returncode != 0
    assert "alerts.W001" in done.stderr


def test_the_ci_deploy_check_sets_the_address_alerts_link_to():
    assert "FLEETADMIN_BASE_URL=https://" in (ROOT / ".ci" / "run").read_text()


def test_check_deploy_is_not_silenced_wholesale():
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
               DJANGO_HSTS_SECONDS="0", DJANGO_SECURE_SSL_REDIRECT="false")
    assert done.returncode != 0
    assert "security.W004" in done.stderr and "security.W008" in done.stderr


def test_production_defaults_when_debug_is_off():
    s = settings_with()
    assert s["DEBUG"] is False
    assert s["SECURE_SSL_REDIRECT"] is True
    assert s["SECURE_HSTS_SECONDS"] == 31_536_000
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True
    assert s["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert s["X_FRAME_OPTIONS"] == "DENY"
    # Only the two HSTS scope warnings, each with its reason written in settings.py.
    assert sorted(s["SILENCED_SYSTEM_CHECKS"]) == ["security.W005", "security.W021"]
    assert s["csp"]["frame-ancestors"] == ["'self'"]
    assert s["SECURE_PROXY_SSL_HEADER"] is None


def test_database_connections_are_kept_health_checked_and_can_be_turned_off():
    url = "postgres://fleetadmin@db.example.com:5432/fleetadmin"
    assert settings_with(DATABASE_URL=url)["database"] == {"CONN_MAX_AGE": 60,
                                                          "CONN_HEALTH_CHECKS": True}
    assert settings_with(DATABASE_URL=f"{url}?conn_max_age=0")["database"] == {
        "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": True}


def test_every_silenced_check_has_a_written_reason():
    lines = (ROOT / "config" / "settings.py").read_text().splitlines()
    for number, line in enumerate(lines):
        if "SILENCED_SYSTEM_CHECKS.append(" in line:
            check = line.split('"')[1]
            reason = "\n".join(lines[max(0, number - 5):number])
            assert f"# {check}:" in reason, f"{check} is silenced without a written reason"


def test_hsts_scope_can_be_widened_and_then_nothing_is_silenced():
    s = settings_with(DJANGO_HSTS_INCLUDE_SUBDOMAINS="true", DJANGO_HSTS_PRELOAD="true")
    assert s["SILENCED_SYSTEM_CHECKS"] == []
    assert s["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True


def test_development_defaults_when_debug_is_on():
    s = settings_with(DJANGO_DEBUG="true")
    assert s["SECURE_SSL_REDIRECT"] is False
    assert s["SECURE_HSTS_SECONDS"] == 0
    assert s["SESSION_COOKIE_SECURE"] is False


def test_behind_a_tls_proxy():
    s = settings_with(DJANGO_SECURE_PROXY_SSL_HEADER="HTTP_X_FORWARDED_PROTO,https")
    assert s["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]


def test_frame_ancestors_come_from_the_environment():
    s = settings_with(FRAME_ANCESTORS="https://portal.corp.example,https://intra.corp.example")
    assert s["frame-ancestors"] == [
        "'self'", "https://portal.corp.example", "https://intra.corp.example"]
    assert s["FRAME_ANCESTORS"] == ["https://portal.corp.example", "https://intra.corp.example"]


def test_a_cross_site_portal_gets_samesite_none_and_secure_cookies():
    s = settings_with(DJANGO_CROSS_SITE_COOKIES="true", DJANGO_SECURE_COOKIES="false",
                      DJANGO_DEBUG="true")
    assert s["SESSION_COOKIE_SAMESITE"] == "None" and s["CSRF_COOKIE_SAMESITE"] == "None"
    # Browsers drop SameSite=None cookies that are not Secure.
    assert s["SESSION_COOKIE_SECURE"] is True and s["CSRF_COOKIE_SECURE"] is True


def test_the_csp_has_no_unsafe_sources_and_no_other_hosts():
    csp = settings_with()["csp"]
    # Our scripts by the nonce: Django swaps this placeholder for a fresh nonce per response
    # (tests/test_csp.py checks each response's nonce against its scripts).
    assert csp["script-src"] == ["'self'", CSP.NONCE]
    everything = [value for values in csp.values() for value in values]
    assert not [v for v in everything if "unsafe" in v]
    hosts = [v for v in everything if v.startswith(("http:", "https:", "*"))]
    # Exactly one other host: the map tiles' (FLEETADMIN_TILE_URL), for images only.
    assert hosts == ["https://tile.openstreetmap.org"]
    assert "https://tile.openstreetmap.org" in csp["img-src"]
    assert csp["object-src"] == ["'none'"]


def test_the_tile_host_in_the_csp_follows_the_setting():
    csp = settings_with(FLEETADMIN_TILE_URL="https://{s}.tiles.corp.example/{z}/{x}/{y}.png")["csp"]
    assert csp["img-src"][-1] == "https://*.tiles.corp.example"
    assert not [v for vs in csp.values() for v in vs if "openstreetmap" in v]


def test_oidc_from_the_environment():
    s = settings_with(
        OIDC_ENABLED="true", OIDC_OP_ISSUER="https://idp.corp.example/realms/x/",
        OIDC_RP_CLIENT_ID="fleetadmin", OIDC_RP_CLIENT_SECRET="s3cret",
        OIDC_ADMIN_GROUPS="it-admins,fleet-owners", OIDC_TIMEOUT="4.5",
        OIDC_RP_SCOPES="openid email groups",
    )
    assert s["OIDC_OP_TOKEN_ENDPOINT"] == ""  # from discovery, when first needed
    assert s["OIDC_ADMIN_GROUPS"] == ["it-admins", "fleet-owners"]
    assert s["OIDC_TIMEOUT"] == 4.5 and s["OIDC_USE_PKCE"] is True
    assert s["OIDC_RP_SCOPES"] == "openid email groups"
    assert "accounts.oidc.OIDCBackend" in s["AUTHENTICATION_BACKENDS"]
    assert "accounts.oidc.SessionRefresh" in s["MIDDLEWARE"]


def test_oidc_endpoints_can_be_set_explicitly():
    s = settings_with(OIDC_ENABLED="true", OIDC_OP_ISSUER="https://idp.example",
                      OIDC_RP_CLIENT_ID="a", OIDC_RP_CLIENT_SECRET="b",
                      OIDC_OP_TOKEN_ENDPOINT="https://idp.example/oauth/token")
    assert s["OIDC_OP_TOKEN_ENDPOINT"] == "https://idp.example/oauth/token"


@pytest.mark.parametrize("proxies", ["", "10.0.0.300", "somehost"])
def test_proxy_login_without_valid_proxy_addresses_refuses_to_start(proxies):
    done = run(["manage.py", "check"], PROXY_AUTH_ENABLED="true",
               PROXY_AUTH_TRUSTED_PROXIES=proxies)
    assert done.returncode != 0
    assert "PROXY_AUTH_TRUSTED_PROXIES" in done.stderr


def test_oidc_without_its_configuration_refuses_to_start():
    done = run(["manage.py", "check"], OIDC_ENABLED="true")
    assert done.returncode != 0
    assert "OIDC_RP_CLIENT_ID" in done.stderr


def test_local_login_off_keeps_role_checks():
    s = settings_with(LOCAL_LOGIN_ENABLED="false")
    assert s["AUTHENTICATION_BACKENDS"] == ["accounts.auth_views.PermissionsOnlyBackend"]


def test_proxy_login_is_off_by_default_and_configurable():
    assert "accounts.proxy_auth.ProxyAuthMiddleware" not in settings_with()["MIDDLEWARE"]
    s = settings_with(PROXY_AUTH_ENABLED="true", PROXY_AUTH_TRUSTED_PROXIES="10.0.0.0/8,::1",
                      PROXY_AUTH_HEADER="X-Forwarded-User")
    middleware = s["MIDDLEWARE"]
    assert middleware.index("accounts.proxy_auth.ProxyAuthMiddleware") == middleware.index(
        "django.contrib.auth.middleware.AuthenticationMiddleware") + 1
    assert s["PROXY_AUTH_TRUSTED_PROXIES"] == ["10.0.0.0/8", "::1"]
    assert s["PROXY_AUTH_HEADER"] == "X-Forwarded-User"


def test_the_ci_deploy_check_runs_the_same_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert "check --deploy --fail-level WARNING" in ci
    assert "DJANGO_DEBUG=false" in ci


@pytest.mark.parametrize("proxy", [
    {"DJANGO_SECURE_PROXY_SSL_HEADER": "HTTP_X_FORWARDED_PROTO,https"},
    {"PROXY_AUTH_ENABLED": "true", "PROXY_AUTH_TRUSTED_PROXIES": "10.0.0.1"},
])
def test_check_deploy_warns_behind_a_proxy_without_the_client_address_header(proxy):
    done = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **proxy)
    assert done.returncode != 0
    assert "fleetadmin.W020" in done.stderr and "LOGIN_CLIENT_IP_HEADER" in done.stderr
    configured = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **proxy,
                     LOGIN_CLIENT_IP_HEADER="X-Forwarded-For",
                     LOGIN_CLIENT_IP_TRUSTED_PROXIES="10.0.0.1")
    assert configured.returncode == 0, configured.stdout + configured.stderr


@pytest.mark.parametrize("proxies", ["", "10.0.0.300", "somehost"])
def test_the_client_address_header_without_valid_proxy_addresses_refuses_to_start(proxies):
    done = run(["manage.py", "check"], LOGIN_CLIENT_IP_HEADER="X-Forwarded-For",
               LOGIN_CLIENT_IP_TRUSTED_PROXIES=proxies)
    assert done.returncode != 0
    assert "LOGIN_CLIENT_IP_TRUSTED_PROXIES" in done.stderr
