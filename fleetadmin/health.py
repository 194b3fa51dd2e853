"""/healthz and /readyz for load balancers and orchestrators.

Answered by a middleware listed before everything else: no session, no login, no CSRF, no
HTTPS redirect and no ALLOWED_HOSTS check (health checkers often send no Host header and
speak plain HTTP to the instance). Neither ever calls flinkey.

- /healthz: the process answers (no database, no cache). Use it for load-balancer checks.
- /readyz: the database answers a trivial query and the cache a set/get; 503 otherwise,
  with a short JSON body naming what failed.
"""

import logging
import secrets

from django.core.cache import cache
from django.db import connection
from django.http import HttpResponseNotAllowed, JsonResponse

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
        failed = [name for name, check in (("database", _database_ok), ("cache", _cache_ok))
                  if not check()]
        if failed:
            return _answer({"status": "unavailable", "failed": failed}, status=503)
        return _answer({"status": "ok"})
