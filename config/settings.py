"""fleetadmin settings: one module, every value from the environment (see README)."""

import zoneinfo
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from fleetadmin.ops.cache_backend import cache_config

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env (written by scripts/setup with fresh development secrets) fills in what the
# real environment leaves unset; real environment variables always win.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env", overwrite=False)

# ------------------------------------------------------------------------------
# Core
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    # Django's widget templates, for the project's form renderer (TemplatesSetting).
    "django.forms",
    "django_htmx",
    # Throttles failed password sign-ins (accounts.throttle has the hooks).
    "axes",
    # The core first; "audit" before "accounts", whose post_migrate role sync needs the
    # audit log's permission to exist already.
    "fleetadmin",
    "audit",
    # The Settings screen; below accounts, whose Users page sets someone's credentials.
    "preferences",
    "accounts",
    "cars",
    "events",
    "maps",
    "outbox",
    # Background work (fleetstore): the tasks' database backend and the periodic scheduler.
    "django_tasks_db",
    "crontask",
    "fleetstore",
    # Names for flinkey user ids, per fleet (the screens show them instead of numbers).
    "people",
    # Reports over the fleet store (pages, CSV, XLSX).
    "reports",
    # Alert rules on the fleet store, e-mailed and sent to signed webhooks.
    "alerts",
    # The home page: the fleet's figures and charts from the fleet store.
    "overview",
    # Reports e-mailed on a cadence (CSV / XLSX), with a run history and "send now".
    "schedules",
]

MIDDLEWARE = [
    # Outermost: request id in and out, instance name, one log line per request.
    "fleetadmin.ops.logs.RequestLogMiddleware",
    # Permissions-Policy on every answer, also those of the middleware below.
    "fleetadmin.ops.permissions_policy.PermissionsPolicyMiddleware",
    # /healthz and /readyz for load balancers: before the HTTPS redirect, sessions, login
    # and CSRF (fleetadmin.ops.health).
    "fleetadmin.ops.health.HealthCheckMiddleware",
    # Then: the upstream time budget counts the whole request (fleetadmin.upstream.budget).
    "fleetadmin.upstream.budget.RequestBudgetMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Only acts on SameSite=None cookies (DJANGO_CROSS_SITE_COOKIES): marks them Partitioned.
    "fleetadmin.ops.framing.PartitionedCookiesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "fleetadmin.ops.private_pages.PrivatePagesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # After MessageMiddleware (so it sees the messages before they are stored).
    "fleetadmin.web.htmx.HtmxMessagesMiddleware",
    "accounts.middleware.HtmxLoginRedirectMiddleware",
    # Inside the one above (its sign-out becomes the login page for htmx too): deactivated
    # accounts are signed out, accounts without a role see "no access yet".
    "accounts.middleware.AccessMiddleware",
    # A fleet page for someone whose credentials have no customer yet: to the choice.
    "fleetadmin.web.customer_needed.CustomerChoiceMiddleware",
    "fleetadmin.ops.framing.PortalFramingMiddleware",
    # The signed-in user's language (over LocaleMiddleware's choice) and time zone.
    "fleetadmin.web.user_locale.UserLanguageMiddleware",
    "fleetadmin.web.user_locale.UserTimeZoneMiddleware",
    # A view's empty 405 (a form's address opened as a page) becomes a page in the user's
    # language, or for htmx a message (fleetadmin.web.error_pages).
    "fleetadmin.web.error_pages.MethodNotAllowedPageMiddleware",
    # Last, as django-axes asks: turns a locked-out sign-in into the login page (429).
    "axes.middleware.AxesMiddleware",
]

# Every form field renders as the screen kit's field group of its kind (label, help, errors).
FORM_RENDERER = "fleetadmin.web.forms.FieldGroupRenderer"

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.template.context_processors.i18n",
                "django.template.context_processors.tz",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.access.access",
                # A failing fleet sync, shown to admins on every page (base.html).
                "fleetstore.context.sync_problem",
                "fleetadmin.upstream.customer_switch.header",
            ],
        },
    },
]

# ------------------------------------------------------------------------------
# Data: SQLite and a per-process cache by default; PostgreSQL and Redis when several
# instances run behind a load balancer (they must share sessions and flinkey tokens).
# ------------------------------------------------------------------------------
DATABASES = {"default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# A request reuses its thread's database connection instead of opening one (for PostgreSQL a
# TCP connect, authentication and a new server process: milliseconds of every page before its
# first query). Checked before reuse, so a restarted database costs no request.
# `?conn_max_age=0` in DATABASE_URL turns it off.
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # The test database is a file, not memory: the browser tests' live server answers the
    # page's parallel requests (a car page loads three regions at once) in threads, and an
    # in-memory test database is one connection shared by them all, which SQLite cannot
    # serve from several threads at once.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
    # Concurrent requests (threads, gunicorn workers) write the same file. A transaction
    # that began by reading and then writes cannot wait for another writer (SQLite
    # answers "database is locked" at once, to avoid a deadlock): IMMEDIATE takes the
    # write lock at BEGIN, where waiting is safe, and `timeout` is how long it waits
    # (below gunicorn's 30 s). Concurrent failed sign-ins failed without this.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"})
# Per-process memory by default; room for a fleet map's positions (one entry per car and
# moment: the default 300 entries would evict a 1,000-car map before its reload).
# Redis is an optimisation: unreachable, each process goes on with a stand-in of its own
# (fleetadmin.ops.cache_backend), so short timeouts, and Redis is asked again after a pause.
CACHES = {"default": cache_config(
    env.str("CACHE_URL", default="locmemcache://fleetadmin?max_entries=20000"),
    connect_timeout=env.float("CACHE_CONNECT_TIMEOUT", default=0.5),
    read_timeout=env.float("CACHE_READ_TIMEOUT", default=2.0),
    retry_seconds=env.float("CACHE_RETRY_SECONDS", default=5.0),
)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# ------------------------------------------------------------------------------
# Authentication: local passwords, corporate single sign-on (OpenID Connect), and
# reverse-proxy header login. Roles come from Django groups (accounts.access).
# ------------------------------------------------------------------------------
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Username/password login on /login/. Turn off when everyone signs in through SSO.
LOCAL_LOGIN_ENABLED = env.bool("LOCAL_LOGIN_ENABLED", default=True)

# OpenID Connect (mozilla-django-oidc), authorization code flow with PKCE.
OIDC_ENABLED = env.bool("OIDC_ENABLED", default=False)
# The issuer exactly as it appears in ID tokens ("iss"). Endpoints left empty are taken
# from its /.well-known/openid-configuration when first needed (cached for an hour).
OIDC_OP_ISSUER = env.str("OIDC_OP_ISSUER", default="").rstrip("/")
OIDC_OP_AUTHORIZATION_ENDPOINT = env.str("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env.str("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env.str("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env.str("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_RP_CLIENT_ID = env.str("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env.str("OIDC_RP_CLIENT_SECRET", default="")
OIDC_RP_SCOPES = env.str("OIDC_RP_SCOPES", default="openid email profile")
OIDC_RP_SIGN_ALGO = env.str("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_USE_PKCE = env.bool("OIDC_USE_PKCE", default=True)
OIDC_PKCE_CODE_CHALLENGE_METHOD = "S256"
OIDC_USE_NONCE = True
# Seconds for each call to the identity provider (token, user info, keys).
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10.0)
# Seconds for fetching the provider's discovery document (on an anonymous request: short,
# so a hanging provider cannot hold the workers), and how long a failed fetch is
# remembered before the provider is asked again.
OIDC_DISCOVERY_TIMEOUT = env.float("OIDC_DISCOVERY_TIMEOUT", default=3.0)
OIDC_DISCOVERY_FAILURE_SECONDS = env.int("OIDC_DISCOVERY_FAILURE_SECONDS", default=30)
# Likewise for the token, keys and user-info endpoints: after one of them did not answer
# (timeout, refused connection, 502/503/504), callbacks are told at once for this long
# instead of each holding a worker for OIDC_TIMEOUT (shared through the cache).
OIDC_PROVIDER_FAILURE_SECONDS = env.int("OIDC_PROVIDER_FAILURE_SECONDS", default=30)
# How long a sign-in may stay at the provider (the user typing a password, a second
# factor) before its callback is refused; its state travels in a cookie that long.
OIDC_SIGN_IN_SECONDS = env.int("OIDC_SIGN_IN_SECONDS", default=600)
# How long a single sign-on stays valid before it is silently renewed with the provider.
OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS = env.int("OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS", default=15 * 60)
OIDC_USERNAME_CLAIM = env.str("OIDC_USERNAME_CLAIM", default="preferred_username")
OIDC_GROUPS_CLAIM = env.str("OIDC_GROUPS_CLAIM", default="groups")
OIDC_ADMIN_GROUPS = env.list("OIDC_ADMIN_GROUPS", default=["fleetadmin-admins"])
OIDC_FLEET_MANAGER_GROUPS = env.list(
    "OIDC_FLEET_MANAGER_GROUPS", default=["fleetadmin-fleet-managers"]
)
OIDC_SUPPORT_GROUPS = env.list("OIDC_SUPPORT_GROUPS", default=["fleetadmin-support"])
# The provider's groups decide the role at every sign-in (no mapped group: support).
OIDC_SYNC_ROLES = env.bool("OIDC_SYNC_ROLES", default=True)
# Send the client secret as HTTP Basic auth (client_secret_basic) instead of in the body.
OIDC_TOKEN_USE_BASIC_AUTH = env.bool("OIDC_TOKEN_USE_BASIC_AUTH", default=False)
if OIDC_ENABLED:
    _missing = [
        name for name in ("OIDC_OP_ISSUER", "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET")
        if not globals()[name]
    ]
    if _missing:
        raise ImproperlyConfigured(f"OIDC_ENABLED is on, but {', '.join(_missing)} not set.")
# Kept in the session as the id_token_hint of RP-initiated logout (accounts.auth_views).
OIDC_STORE_ID_TOKEN = True
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_authentication_callback"
OIDC_CALLBACK_CLASS = "accounts.oidc.CallbackView"
OIDC_AUTHENTICATE_CLASS = "accounts.oidc.AuthenticationRequestView"
LOGIN_REDIRECT_URL_FAILURE = "/login/?sso=failed"
OIDC_EXEMPT_URLS = ["login", "logout"]

# Reverse-proxy header login: a portal in front of the app names the signed-in user in a
# header. Trusted only on requests whose peer address is one of the configured proxies.
PROXY_AUTH_ENABLED = env.bool("PROXY_AUTH_ENABLED", default=False)
PROXY_AUTH_HEADER = env.str("PROXY_AUTH_HEADER", default="X-Remote-User")
PROXY_AUTH_GROUPS_HEADER = env.str("PROXY_AUTH_GROUPS_HEADER", default="")
PROXY_AUTH_TRUSTED_PROXIES = env.list("PROXY_AUTH_TRUSTED_PROXIES", default=[])
PROXY_AUTH_CREATE_USERS = env.bool("PROXY_AUTH_CREATE_USERS", default=True)
if PROXY_AUTH_ENABLED:
    import ipaddress

    try:
        if not [ipaddress.ip_network(entry, strict=False) for entry in PROXY_AUTH_TRUSTED_PROXIES]:
            raise ValueError("no proxy address given")
    except ValueError as error:
        raise ImproperlyConfigured(f"PROXY_AUTH_TRUSTED_PROXIES: {error}") from error

# Password login needs ModelBackend; without it a permissions-only backend still answers
# the role checks (has_perm) for users signed in any other way.
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend"
    if LOCAL_LOGIN_ENABLED
    else "accounts.auth_views.PermissionsOnlyBackend",
]
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("accounts.oidc.OIDCBackend")
if PROXY_AUTH_ENABLED:
    AUTHENTICATION_BACKENDS.append("accounts.proxy_auth.ProxyAuthBackend")
if PROXY_AUTH_ENABLED:
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "accounts.proxy_auth.ProxyAuthMiddleware",
    )
if OIDC_ENABLED:
    # Renews the sign-on with the provider after OIDC_RENEW_ID_TOKEN_EXPIRY_SECONDS.
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django_htmx.middleware.HtmxMiddleware") + 1,
        "accounts.oidc.SessionRefresh",
    )
# The throttle for failed password sign-ins checks first (it signs nobody in itself);
# without password sign-in there is nothing to throttle.
if LOCAL_LOGIN_ENABLED:
    AUTHENTICATION_BACKENDS.insert(0, "axes.backends.AxesStandaloneBackend")
AXES_ENABLED = LOCAL_LOGIN_ENABLED

# Failed password sign-ins (django-axes): after LOGIN_FAILURE_LIMIT failures for one
# username from one address, that pair is refused for LOGIN_COOLOFF_MINUTES. Counted in
# the database, so every instance sees the same count. Unlock on the Users page, or with
# `manage.py axes_reset_username NAME` (or axes_reset for everyone).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.float("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Failed sign-ins are in the audit log already; axes need not log each one (and its start).
AXES_VERBOSE = False
# Attempts during a lock-out are refused without being stored (and without extending it):
# hammering a locked account cannot grow the attempts table.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# fleetadmin's own audit log records sign-ins; no second log of successful ones.
AXES_DISABLE_ACCESS_LOG = True
AXES_USERNAME_CALLABLE = "accounts.throttle.throttle_username"
AXES_WHITELIST_CALLABLE = "accounts.throttle.not_a_password_attempt"
AXES_CLIENT_IP_CALLABLE = "accounts.throttle.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.throttle.locked_out"
AXES_SENSITIVE_PARAMETERS = ["username", "password", "ip_address"]
# The header a load balancer puts the client's address in (its last entry is used), e.g.
# X-Forwarded-For; empty: the connection's peer address. Behind a balancer every request
# comes from its address: without the header, five wrong passwords from anyone would lock
# the account out for everyone (`check --deploy` warns). The header is believed only on
# requests from LOGIN_CLIENT_IP_TRUSTED_PROXIES (the balancers' IPs/CIDRs; required with
# the header): a client reaching an instance directly cannot pick its address to escape.
LOGIN_CLIENT_IP_HEADER = env.str("LOGIN_CLIENT_IP_HEADER", default="").strip()
LOGIN_CLIENT_IP_TRUSTED_PROXIES = env.list("LOGIN_CLIENT_IP_TRUSTED_PROXIES", default=[])
if LOGIN_CLIENT_IP_HEADER:
    import ipaddress

    try:
        if not [ipaddress.ip_network(entry, strict=False)
                for entry in LOGIN_CLIENT_IP_TRUSTED_PROXIES]:
            raise ValueError("required with LOGIN_CLIENT_IP_HEADER: the load balancers' "
                             "addresses, whose header is believed")
    except ValueError as error:
        raise ImproperlyConfigured(f"LOGIN_CLIENT_IP_TRUSTED_PROXIES: {error}") from error

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# ------------------------------------------------------------------------------
# Internationalisation: English and German (locale/de, see README "Languages"); every time
# is stored in UTC and shown in the user's zone.
# ------------------------------------------------------------------------------
# The browser's language (Accept-Language) until the user picks one in the header or on
# Settings; the pick is kept per user (UserPreferences.language) and in the language cookie.
LANGUAGE_CODE = "en"
LANGUAGES = [("de", _("German")), ("en", _("English"))]  # the switcher's order: DE | EN
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Our own date and time formats per language (fleetadmin/web/formats/<lang>/formats.py), over
# Django's: 24-hour times everywhere, ISO dates in English, 31.12.2026 in German.
FORMAT_MODULE_PATH = ["fleetadmin.web.formats"]
# Off on purpose: it would also group ids rendered into attributes and hidden inputs
# ("1.001"). Quantities ask for grouping themselves: {{ km|floatformat:"1g" }} → 12.345,6.
USE_THOUSAND_SEPARATOR = False
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_HTTPONLY = True  # read by the server only
USE_TZ = True
TIME_ZONE = "UTC"
# The zone a user sees until they choose their own on the settings page.
FLEETADMIN_DEFAULT_TIME_ZONE = env.str("FLEETADMIN_DEFAULT_TIME_ZONE", default="Europe/Berlin")
# The zone the fleet's cars are in. flinkey's events carry the car's local time (dateTime,
# a clock reading without offset, what the flinkey apps send) besides utcDateTime; an event
# recorded here gets its local time in this zone, never in the recording user's.
FLEETADMIN_FLEET_TIME_ZONE = env.str("FLEETADMIN_FLEET_TIME_ZONE",
                                     default=FLEETADMIN_DEFAULT_TIME_ZONE)
if FLEETADMIN_FLEET_TIME_ZONE not in zoneinfo.available_timezones():
    # Found out at start, not when someone records an event.
    raise ImproperlyConfigured(f"FLEETADMIN_FLEET_TIME_ZONE: {FLEETADMIN_FLEET_TIME_ZONE!r} is "
                               "not an IANA time zone (e.g. Europe/Berlin).")

# ------------------------------------------------------------------------------
# E-mail: password-reset links now, alerts later. EMAIL_URL=outbox (the default) keeps every
# message on the Outbox page instead of sending it: the demo needs no mail server, and a
# production deployment that forgot to configure mail loses nothing (check --deploy warns).
# Otherwise django-environ's e-mail URL, e.g. smtp+tls://user:password@mail.example.com:587.
# ------------------------------------------------------------------------------
EMAIL_URL = env.str("EMAIL_URL", default="outbox")
# Seconds every SMTP connection may take (without it: wait forever).
_EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
if EMAIL_URL == "outbox":
    MAILERS = {"default": {"BACKEND": "outbox.backends.OutboxEmailBackend"}}
else:
    _email = env.email_url_config(EMAIL_URL)
    MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER", ""),
        "password": _email.get("EMAIL_HOST_PASSWORD", ""),
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        "timeout": _EMAIL_TIMEOUT,
    }}}
DEFAULT_FROM_EMAIL = env.str("DJANGO_DEFAULT_FROM_EMAIL", default="fleetadmin@localhost")
# How long a password-reset link works (Django's setting, in seconds).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3 * 24 * 3600)

# ------------------------------------------------------------------------------
# Static files: served by WhiteNoise from our own files; no CDN in any page.
# ------------------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

# ------------------------------------------------------------------------------
# Security headers, embedding in a portal, HTTPS
# ------------------------------------------------------------------------------
# Origins (scheme://host[:port]) of intranet portals that may show fleetadmin in a frame.
# They go into CSP frame-ancestors; nothing else may frame the app.
FRAME_ANCESTORS = env.list("FRAME_ANCESTORS", default=[])
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF, *FRAME_ANCESTORS],
}
# For browsers without CSP frame-ancestors. When portal origins are configured,
# fleetadmin.ops.framing.PortalFramingMiddleware leaves this header out, because
# X-Frame-Options cannot name another origin and CSP frame-ancestors decides instead.
X_FRAME_OPTIONS = "DENY"
# Error reports (the DEBUG page, mails, logs) hide what views and services mark sensitive,
# also under DEBUG.
DEFAULT_EXCEPTION_REPORTER_FILTER = "fleetadmin.web.error_pages.SecretsHidingReporterFilter"
CSRF_FAILURE_VIEW = "accounts.access.csrf_failure"
SECURE_CONTENT_TYPE_NOSNIFF = True
# Browser features no page uses, denied by Permissions-Policy on every answer
# (fleetadmin.ops.permissions_policy). The maps never ask the browser where it is.
PERMISSIONS_POLICY_DENIED = [
    "accelerometer", "autoplay", "camera", "display-capture", "encrypted-media",
    "geolocation", "gyroscope", "hid", "idle-detection", "magnetometer", "microphone",
    "midi", "payment", "picture-in-picture", "publickey-credentials-get", "screen-wake-lock",
    "serial", "usb", "xr-spatial-tracking",
]
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
# Inside a portal on the same site (portal.corp.example framing fleet.corp.example) the
# default Lax cookies work. A portal on another site needs SameSite=None, which browsers
# accept only together with Secure.
DJANGO_CROSS_SITE_COOKIES = env.bool("DJANGO_CROSS_SITE_COOKIES", default=False)
SESSION_COOKIE_SAMESITE = env.str(
    "SESSION_COOKIE_SAMESITE", default="None" if DJANGO_CROSS_SITE_COOKIES else "Lax"
)
if SESSION_COOKIE_SAMESITE == "None":
    SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
LANGUAGE_COOKIE_SAMESITE = SESSION_COOKIE_SAMESITE
LANGUAGE_COOKIE_SECURE = SESSION_COOKIE_SECURE
# (The test suite turns this off in the root conftest: its client and live server speak
# plain HTTP.)
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
# Behind a TLS-terminating proxy: "HTTP_X_FORWARDED_PROTO,https" (only if that proxy
# always sets the header, otherwise a client could claim HTTPS).
_proxy_ssl_header = env.list("DJANGO_SECURE_PROXY_SSL_HEADER", default=[])
SECURE_PROXY_SSL_HEADER = tuple(_proxy_ssl_header) if _proxy_ssl_header else None
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = []
if not LOCAL_LOGIN_ENABLED:
    # axes.W003: it asks for its backend, which only throttles passwords: with password
    # sign-in off there is nothing to throttle, and the throttle is off (AXES_ENABLED).
    SILENCED_SYSTEM_CHECKS.append("axes.W003")
if SECURE_HSTS_SECONDS and not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    # security.W005: fleetadmin usually runs on one host of a company domain; sending
    # HSTS for every subdomain would force HTTPS on other teams' intranet hosts. That is
    # the domain owner's decision: DJANGO_HSTS_INCLUDE_SUBDOMAINS=true turns it on.
    SILENCED_SYSTEM_CHECKS.append("security.W005")
if SECURE_HSTS_SECONDS and not SECURE_HSTS_PRELOAD:
    # security.W021: the browsers' preload list is a one-way, domain-wide commitment
    # (apex domain and all subdomains), not an application setting. DJANGO_HSTS_PRELOAD=true
    # once the domain owner has decided to submit the domain.
    SILENCED_SYSTEM_CHECKS.append("security.W021")

# ------------------------------------------------------------------------------
# Audit log
# ------------------------------------------------------------------------------
# Entries older than this many days are deleted by `manage.py prune_audit_log` (run it
# daily, e.g. from cron); nothing deletes entries otherwise.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=730)

# ------------------------------------------------------------------------------
# flinkey
# ------------------------------------------------------------------------------
# Base URL including /v3, or "sandbox" for the embedded sandbox (started on first use; the
# demo's choice, refused by check --deploy). Empty is an error (fleetadmin.upstream.checks).
FLINKEY_API_URL = env.str("FLINKEY_API_URL", default="")
FLINKEY_SANDBOX_PORT = env.int("FLINKEY_SANDBOX_PORT", default=8765)
# Fernet keys, newest first: the first encrypts, all of them decrypt (key rotation).
FLINKEY_ENCRYPTION_KEYS = env.list("FLINKEY_ENCRYPTION_KEYS", default=[])
FLINKEY_CONNECT_TIMEOUT = env.float("FLINKEY_CONNECT_TIMEOUT", default=3.05)
FLINKEY_READ_TIMEOUT = env.float("FLINKEY_READ_TIMEOUT", default=15.0)
# Seconds before a GET that flinkey answered with a 5xx, a 429 without Retry-After (or not
# at all) is asked again, doubled for the second retry (two at most, within the budget).
FLINKEY_RETRY_BACKOFF_SECONDS = env.float("FLINKEY_RETRY_BACKOFF_SECONDS", default=0.2)
# A CA bundle (PEM file or directory) that flinkey's certificate must chain to, e.g. a
# company's TLS-inspecting proxy or a test CA; empty: the system's CAs (certifi's).
FLINKEY_CA_BUNDLE = env.str("FLINKEY_CA_BUNDLE", default="")
# Seconds all flinkey calls of one web request may take together: below the web server's
# worker timeout (gunicorn's 30 s), so no request is killed between a write and its audit.
FLINKEY_REQUEST_BUDGET = env.float("FLINKEY_REQUEST_BUDGET", default=25.0)

# ------------------------------------------------------------------------------
# Fan-out (fleetadmin.upstream.fanout) and maps
# ------------------------------------------------------------------------------
# Upstream calls one page request runs at once, and the seconds after which it answers
# with what it has (the cars still outstanding are reported as not located, to retry).
FLEETADMIN_FANOUT_CONCURRENCY = env.int("FLEETADMIN_FANOUT_CONCURRENCY", default=8)
FLEETADMIN_FANOUT_TIMEOUT = env.float("FLEETADMIN_FANOUT_TIMEOUT", default=10.0)
# Seconds a proof that a user's own credentials reach their customer is remembered
# (fleetadmin.upstream.reach): nothing cached from flinkey is served without one.
FLEETADMIN_REACH_RECHECK_SECONDS = env.int("FLEETADMIN_REACH_RECHECK_SECONDS", default=300)
# Seconds flinkey's "not found" for a car is remembered (asking again costs the same 404).
FLEETADMIN_NOT_FOUND_CACHE_SECONDS = env.int("FLEETADMIN_NOT_FOUND_CACHE_SECONDS", default=30)
# Seconds a car's current position is reused (map reloads within this time ask no one).
# Budgets of flinkey calls per minute (fleetadmin.upstream.call_budget), shared by every instance:
# one user's, and one fleet's (API URL + customer: all its users together). A user's heavy
# use passes (a 1,000-car fleet map is ~1,010 calls, a 7-day route ~255); a runaway client
# does not. 0: no limit.
FLEETADMIN_USER_CALLS_PER_MINUTE = env.int("FLEETADMIN_USER_CALLS_PER_MINUTE", default=3000)
FLEETADMIN_FLEET_CALLS_PER_MINUTE = env.int("FLEETADMIN_FLEET_CALLS_PER_MINUTE", default=10000)
FLEETADMIN_LOCATION_CACHE_SECONDS = env.int("FLEETADMIN_LOCATION_CACHE_SECONDS", default=60)
# A moment older than this has its nearest sample fixed: cached for the long time below.
FLEETADMIN_LOCATION_SETTLED_SECONDS = env.int("FLEETADMIN_LOCATION_SETTLED_SECONDS",
                                              default=3600)
FLEETADMIN_PAST_LOCATION_CACHE_SECONDS = env.int("FLEETADMIN_PAST_LOCATION_CACHE_SECONDS",
                                                 default=2 * 86400)
# Most location calls one route may cost (the sampling interval grows with the period).
FLEETADMIN_ROUTE_MAX_CALLS = env.int("FLEETADMIN_ROUTE_MAX_CALLS", default=300)
# Seconds one load of a route region waits for its samples: the page then draws what has
# arrived, says it is still loading, and asks for the rest (maps.views, in rounds).
FLEETADMIN_ROUTE_ROUND_SECONDS = env.float("FLEETADMIN_ROUTE_ROUND_SECONDS", default=4.0)
# Cars per request of the fleet map (one location call per car; the next batch's list call
# rides along). The first request takes fewer (maps.services.batch_size).
FLEETADMIN_MAP_BATCH_SIZE = env.int("FLEETADMIN_MAP_BATCH_SIZE", default=100)
# Map tiles: URL template and attribution (HTML as the tile provider requires it).
FLEETADMIN_TILE_URL = env.str("FLEETADMIN_TILE_URL",
                              default="https://tile.openstreetmap.org/{z}/{x}/{y}.png")
FLEETADMIN_TILE_ATTRIBUTION = env.str(
    "FLEETADMIN_TILE_ATTRIBUTION",
    default='&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> '
            "contributors",
)
FLEETADMIN_TILE_MAX_ZOOM = env.int("FLEETADMIN_TILE_MAX_ZOOM", default=19)


def _tile_origin(url: str) -> str:
    """The scheme://host[:port] of the tile URL template, for CSP img-src ("" if relative)."""
    from urllib.parse import urlsplit

    # {s} subdomains ({s}.tile.example) would need a wildcard; keep it for exactly that label.
    parts = urlsplit(url.replace("{s}", "__s__"))
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".replace("__s__", "*")


SECURE_CSP["img-src"].extend(filter(None, [_tile_origin(FLEETADMIN_TILE_URL)]))

# ------------------------------------------------------------------------------
# Events: the timeline, its export, the "left open" report
# ------------------------------------------------------------------------------
# Events per timeline request (each is one upstream call, $top = this + 1; at most 999).
FLEETADMIN_EVENTS_PAGE_SIZE = env.int("FLEETADMIN_EVENTS_PAGE_SIZE", default=50)
# The CSV export stops after this many rows and says so in its last line.
FLEETADMIN_EVENTS_EXPORT_MAX_ROWS = env.int("FLEETADMIN_EVENTS_EXPORT_MAX_ROWS", default=100_000)
# "Left open": a car counts when its last event is an opening older than this many hours.
FLEETADMIN_LEFT_OPEN_HOURS = env.int("FLEETADMIN_LEFT_OPEN_HOURS", default=12)

# ------------------------------------------------------------------------------
# Background work and the fleet store (fleetstore; README "Fleet store and workers")
# ------------------------------------------------------------------------------
# Django's tasks API on the project's database: `manage.py db_worker` runs them (as many
# workers on as many machines as wanted: each claims a task with SELECT … FOR UPDATE SKIP
# LOCKED on PostgreSQL). No queue, scheduler or thread pool runs inside the web workers.
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default"],
    },
}
# django-crontask's scheduler (`manage.py crontask`) enqueues the periodic jobs. Its lock
# lives in Redis: of several schedulers one runs and the others refuse. Without Redis
# (the demo) there is no lock, so run exactly one; the jobs also claim their period in
# the database (fleetstore.models.PeriodClaim), so a second one enqueues nothing twice.
_scheduler_lock_url = env.str("FLEETSTORE_SCHEDULER_LOCK_URL", default="") or (
    CACHES["default"].get("LOCATION", "") if "redis" in CACHES["default"]["BACKEND"].lower() else ""
)
CRONTASK = {"REDIS_URL": _scheduler_lock_url or None}
# Calls per minute one fleet's sync may make (spread evenly; interactive pages are apart).
FLEETSTORE_CALLS_PER_MINUTE = env.int("FLEETSTORE_CALLS_PER_MINUTE", default=600)
# Seconds a sync waits after flinkey's first 429/5xx before asking again (doubled on each
# further one, three retries): a gateway that needs longer to recover can be given it.
FLEETSTORE_BACKOFF_SECONDS = env.float("FLEETSTORE_BACKOFF_SECONDS", default=1.0)
# Cars one fleet's sync asks at once (under the cap above): one at a time, a call's round
# trip bounds the rate (about 12 a second at 50 ms), below what a 10,000-car fleet needs.
FLEETSTORE_CONCURRENCY = env.int("FLEETSTORE_CONCURRENCY", default=4)
# Minutes between full syncs (cars, products, events) and between position samples.
FLEETSTORE_SYNC_MINUTES = env.int("FLEETSTORE_SYNC_MINUTES", default=60)
FLEETSTORE_SAMPLE_MINUTES = env.int("FLEETSTORE_SAMPLE_MINUTES", default=15)
# Hours of a car's products kept before they are asked again (service ends change rarely).
FLEETSTORE_PRODUCTS_HOURS = env.int("FLEETSTORE_PRODUCTS_HOURS", default=24)
# Every events sync re-reads this many hours before its cursor (late arrivals).
FLEETSTORE_EVENTS_REREAD_HOURS = env.int("FLEETSTORE_EVENTS_REREAD_HOURS", default=48)
# Days of position samples and events kept; older ones go in the daily retention job.
FLEETSTORE_RETENTION_DAYS = env.int("FLEETSTORE_RETENTION_DAYS", default=90)
# A sync holds its fleet for this long and renews it as it goes; a killed worker's hold
# runs out after it, and the next due run takes over.
FLEETSTORE_LEASE_SECONDS = env.int("FLEETSTORE_LEASE_SECONDS", default=120)

# ------------------------------------------------------------------------------
# Alerts (alerts; README "Alerts")
# ------------------------------------------------------------------------------
# The address people open fleetadmin at: the links in alert e-mails and webhooks.
FLEETADMIN_BASE_URL = env.str("FLEETADMIN_BASE_URL", default="http://127.0.0.1:8000")
# Webhooks must be https; plain http only in the demo (DEBUG or the embedded sandbox).
ALERTS_WEBHOOK_ALLOW_HTTP = env.bool("ALERTS_WEBHOOK_ALLOW_HTTP",
                                     default=DEBUG or FLINKEY_API_URL == "sandbox")
# Host names a webhook may use although they resolve to a private, loopback or link-local
# address (an in-house receiver). Anything else in such a network is refused (SSRF).
ALERTS_WEBHOOK_PRIVATE_HOSTS = env.list("ALERTS_WEBHOOK_PRIVATE_HOSTS", default=[])
# Seconds to connect to a webhook, and for its whole exchange (however slowly it answers).
ALERTS_WEBHOOK_CONNECT_TIMEOUT = env.float("ALERTS_WEBHOOK_CONNECT_TIMEOUT", default=3.05)
ALERTS_WEBHOOK_TIMEOUT = env.float("ALERTS_WEBHOOK_TIMEOUT", default=10.0)
# Attempts per delivery, and the first retry's wait (doubled per failure, at most 6 h).
ALERTS_MAX_ATTEMPTS = env.int("ALERTS_MAX_ATTEMPTS", default=8)
ALERTS_RETRY_SECONDS = env.float("ALERTS_RETRY_SECONDS", default=60.0)
# A sender holds a delivery this long; after it, a killed sender's delivery is sent again
# (with the same idempotency key). Above the mail and webhook timeouts.
ALERTS_SEND_LEASE_SECONDS = env.int("ALERTS_SEND_LEASE_SECONDS", default=120)
# The hour (in each recipient's zone) the daily digest is made.
ALERTS_DIGEST_HOUR = env.int("ALERTS_DIGEST_HOUR", default=7)
# Days alerts and their deliveries are kept (the daily prune_alerts job); a delivery still
# waiting to be sent, and the alert of an episode that goes on, are kept however old.
ALERTS_RETENTION_DAYS = env.int("ALERTS_RETENTION_DAYS", default=180)

# ------------------------------------------------------------------------------
# Logging: to stderr, one JSON object per line in production (DJANGO_LOG_FORMAT=json, the
# default unless DEBUG), every line with its request's id; one line per request
# (fleetadmin.ops.logs). Never a secret: the client never logs credentials or tokens, and
# request lines carry the path without its query string.
# ------------------------------------------------------------------------------
# The name this instance gives itself in the X-Fleetadmin-Instance header and its log lines
# (empty: no header). For telling instances apart behind a load balancer.
FLEETADMIN_INSTANCE_NAME = env.str("FLEETADMIN_INSTANCE_NAME", default="")
# Take the X-Request-ID the load balancer sends (if well-formed) instead of making one.
FLEETADMIN_TRUST_REQUEST_ID = env.bool("FLEETADMIN_TRUST_REQUEST_ID", default=True)
LOG_FORMAT = env.str("DJANGO_LOG_FORMAT", default="plain" if DEBUG else "json")
if LOG_FORMAT not in ("json", "plain"):
    raise ImproperlyConfigured("DJANGO_LOG_FORMAT must be json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "fleetadmin.ops.logs.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "fleetadmin.ops.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request_id"],
        },
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # Django's own records go to the root handler like everyone's (one format, one line
    # each), not also to Django's default DEBUG-only console handler.
    "loggers": {
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        # The scheduler (crontask) logs every run of its lock's 5 s renewal at INFO: only
        # its warnings and errors are worth a line.
        "apscheduler": {"handlers": [], "level": "WARNING", "propagate": True},
    },
}
