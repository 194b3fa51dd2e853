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
from http.cookiejar import DefaultCookiePolicy

import requests

from .watchdog import WatchedAdapter

__all__ = [
    "POOL_MAXSIZE",
    "USER_AGENT",
    "Verify",
    "close_sessions",
    "session_for",
]

USER_AGENT = "fleetadmin/0.1"
# Keep-alive connections kept per host: a fan-out of 16 calls from each of two concurrent
# web requests reuses them all. More concurrent calls still work; the extra connections
# are closed after use instead of pooled.
POOL_MAXSIZE = 32

Verify = bool | str

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
    # Its connections bound each exchange as a whole, not each socket read (flinkey.watchdog).
    adapter = WatchedAdapter(pool_connections=4, pool_maxsize=POOL_MAXSIZE, max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


atexit.register(close_sessions)
