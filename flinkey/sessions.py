"""One requests session per process, API base URL and TLS setting, shared by every client.

A session per client meant a new TCP (and TLS) handshake for every web request against
the real API. The shared session carries nothing that belongs to an account: API key,
bearer token and Customer-ID go into each request's headers, and cookies are refused so
one account's gateway cookie never rides along with another's request.
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from contextvars import ContextVar
from http.cookiejar import DefaultCookiePolicy

import requests
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from .watchdog import WatchedAdapter, WatchedHTTPConnection, WatchedHTTPSConnection

__all__ = [
    "POOL_MAXSIZE",
    "USER_AGENT",
    "Verify",
    "close_sessions",
    "on_request_sent",
    "session_for",
]

USER_AGENT = "fleetadmin/0.1"
# Keep-alive connections kept per host: a fan-out of 16 calls from each of two concurrent
# web requests reuses them all. More concurrent calls still work; the extra connections
# are closed after use instead of pooled.
POOL_MAXSIZE = 32

Verify = bool | str

# Called once a request is on the wire, before its answer is awaited (flinkey.Ahead: the
# caller goes on with its own work from then on, not before).
on_request_sent: ContextVar[Callable[[], None] | None] = ContextVar(
    "flinkey_on_request_sent", default=None
)

_sessions: dict[tuple[str, Verify], requests.Session] = {}
_lock = threading.Lock()


def session_for(base_url: str, verify: Verify = True) -> requests.Session:
    """Return the process's session for this API base URL and TLS verification setting."""
    key = (base_url.rstrip("/"), verify)
    session = _sessions.get(key)
    if session is None:
        with _lock:
            session = _sessions.get(key)
            if session is None:
                session = _sessions[key] = _new_session(verify)
    return session


def close_sessions() -> None:
    """Close every shared session and its pooled connections; later calls open new ones."""
    with _lock:
        sessions = list(_sessions.values())
        _sessions.clear()
    for session in sessions:
        session.close()


def normalize_verify(value: object) -> Verify:
    """Return True, False or a CA bundle path as str; raises ValueError for anything else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str) and path and os.path.exists(path):
            return path
        # requests would only notice when sending, with an OSError outside its error tree.
        raise ValueError("verify must name an existing CA bundle file or directory")
    raise ValueError("verify must be True, False or the path of a CA bundle")


def _new_session(verify: Verify) -> requests.Session:
    session = requests.Session()
    session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
    session.verify = verify
    session.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))  # accept none
    # No urllib3 retries here: the client retries GETs itself, within its time budget.
    adapter = _Adapter(pool_connections=4, pool_maxsize=POOL_MAXSIZE, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class _Sent:
    """Connection mix-in: reports `on_request_sent` when the request has been written."""

    def getresponse(self, *args, **kwargs):
        sent = on_request_sent.get()
        if sent is not None:
            sent()
        return super().getresponse(*args, **kwargs)


class _HTTPConnection(_Sent, WatchedHTTPConnection):
    pass


class _HTTPSConnection(_Sent, WatchedHTTPSConnection):
    pass


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(WatchedAdapter):
    # Its connections also bound each exchange as a whole (flinkey.watchdog).
    pool_classes = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


atexit.register(close_sessions)
