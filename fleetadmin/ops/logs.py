"""Structured logs: a JSON formatter, a request id on every line, one line per request.

One line per request (logger "fleetadmin.request") says: request id, method, path, status,
user, how many flinkey calls the request made and how long they took together, and the
request's total time. The path is logged without its query string: queries carry search
terms (licence plates, names: personal data) and, on the single sign-on callback, the
one-time authorization code and state. Nothing here ever sees a credential or a token: the
flinkey client reports only method, API path, status and seconds (`record_upstream_call`).
"""

import json
import logging
import re
import threading
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

from django.conf import settings
from django.utils.encoding import escape_uri_path

from fleetadmin.ops.health import HEALTH_PATHS

request_log = logging.getLogger("fleetadmin.request")

_request_id: ContextVar[str | None] = ContextVar("fleetadmin_request_id", default=None)
_upstream: ContextVar["UpstreamCalls | None"] = ContextVar("fleetadmin_upstream", default=None)

# What an X-Request-ID from the load balancer may look like (UUIDs, HAProxy's unique ids):
# short, printable, no spaces, so it can never forge or break a log line.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:@+/=-]{1,128}")

# Attributes every LogRecord has; anything else on a record is an `extra` field.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
# Extras that are objects, not data: Django's request loggers attach the request (whose
# text form includes the query string) and the server's socket.
_DROPPED = frozenset({"request", "server_time", "socket"})


class UpstreamCalls:
    """The flinkey calls of one web request (also from its fan-out threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0
        self.seconds = 0.0

    def add(self, seconds: float) -> None:
        with self._lock:
            self.count += 1
            self.seconds += seconds


def record_upstream_call(method: str, path: str, status: int | None, seconds: float) -> None:
    """The flinkey client's on_call hook: count the call for the current request's log line."""
    calls = _upstream.get()
    if calls is not None:
        calls.add(seconds)


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = _request_id.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, request id, extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD or key in _DROPPED or key in entry:
                continue
            if value is None or isinstance(value, str | int | float | bool):
                entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def _incoming_request_id(request) -> str | None:
    if not settings.FLEETADMIN_TRUST_REQUEST_ID:
        return None
    value = request.headers.get("X-Request-ID", "").strip()
    return value if _REQUEST_ID.fullmatch(value) else None


def _username(request) -> str | None:
    user = getattr(request, "user", None)
    try:
        return user.get_username() if user is not None and user.is_authenticated else None
    except Exception:  # the session or database failed: the line must still be written
        return None


class RequestLogMiddleware:
    """Outermost middleware: request id in and out, instance name, one log line per request.

    Health checks (/healthz, /readyz) are answered but not logged: a load balancer asks
    every few seconds.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = _incoming_request_id(request) or uuid.uuid4().hex
        request.request_id = request_id
        calls = UpstreamCalls()
        id_token, calls_token = _request_id.set(request_id), _upstream.set(calls)
        started = time.monotonic()
        try:
            response = self.get_response(request)
            duration = time.monotonic() - started
            response["X-Request-ID"] = request_id
            if settings.FLEETADMIN_INSTANCE_NAME:
                response["X-Fleetadmin-Instance"] = settings.FLEETADMIN_INSTANCE_NAME
            if request.path not in HEALTH_PATHS:
                self._log(request, response, calls, duration)
            return response
        finally:
            _upstream.reset(calls_token)
            _request_id.reset(id_token)

    @staticmethod
    def _log(request, response, calls: UpstreamCalls, duration: float) -> None:
        path = escape_uri_path(request.path)  # never the query string (see the module doc)
        user = _username(request)
        request_log.info(
            "%s %s %s %.3fs user=%s upstream=%d calls %.3fs",
            request.method, path, response.status_code, duration, user or "-",
            calls.count, calls.seconds,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "user": user,
                "upstream_calls": calls.count,
                "upstream_seconds": round(calls.seconds, 4),
                "duration_seconds": round(duration, 4),
                "instance": settings.FLEETADMIN_INSTANCE_NAME or None,
            },
        )
