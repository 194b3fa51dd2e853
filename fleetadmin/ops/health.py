"""/healthz and /readyz for load balancers and orchestrators.

Answered by a middleware listed before everything else: no session, no login, no CSRF, no
HTTPS redirect and no ALLOWED_HOSTS check (health checkers often send no Host header and
speak plain HTTP to the instance). Neither ever calls flinkey.

- /healthz: the process answers (no database, no cache). Use it for load-balancer checks.
- /readyz: the database answers a trivial query (503 otherwise, naming it) and the cache a
  set/get. An unreachable cache does not fail readiness: it answers 200
  `{"status": "degraded", "degraded": ["cache"]}`. The cache is an optimisation (pages work
  without it, fleetadmin.ops.cache_backend), and every instance shares the one Redis: failing
  readiness would take every instance out of the load balancer at once, for pages that
  still work. Monitoring should alert on "degraded".
"""

import logging
import secrets

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseNotAllowed, JsonResponse

from fleetadmin.ops.cache_backend import cache_status

log = logging.getLogger(__name__)

HEALTH_PATHS = frozenset({"/healthz", "/readyz"})


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception as error:
        # Driver messages name host and port, never a password.
        log.warning("readyz: database unreachable: %s: %s", type(error).__name__, error)
        return False


def _cache_ok() -> bool:
    # A resilient Redis cache says whether Redis answers (and logs an outage once itself);
    # its set/get would succeed on the per-process stand-in and prove nothing.
    if cache_status() != "ok":
        return False
    key, value = f"readyz:{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache.set(key, value, timeout=10)
        ok = cache.get(key) == value
        cache.delete(key)
    except Exception as error:
        log.warning("readyz: cache unreachable: %s: %s", type(error).__name__, error)
        return False
    if not ok:
        log.warning("readyz: the cache did not return what was just stored")
    return ok


def _answer(body: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(body, status=status)
    response["Cache-Control"] = "no-store"
    return response


class HealthCheckMiddleware:
    """Answers /healthz and /readyz before any other middleware runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path not in HEALTH_PATHS:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            return HttpResponseNotAllowed(["GET", "HEAD"])
        if request.path == "/healthz":
            return _answer({"status": "ok"})
        if not _database_ok():
            # Named "failed" with the cache's state too, so one answer says everything.
            failed = ["database"] if _cache_ok() else ["database", "cache"]
            return _answer({"status": "unavailable", "failed": failed}, status=503)
        if not _cache_ok():
            return _answer({"status": "degraded", "degraded": ["cache"]})
        return _answer({"status": "ok"})
