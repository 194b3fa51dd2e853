"""A time limit on one whole HTTP exchange: connection, request, headers and body together.

requests' read timeout is per socket read: an upstream that answers a byte at a time never
trips it, and one request could outlive its web request's budget and the worker's timeout
(gunicorn then kills the worker: a bare 500, and a write whose outcome nobody is told).
So every exchange gets a `Watch`: the connection that carries it registers itself (the
connection classes here, mounted through `WatchedAdapter` by `flinkey.sessions`, call
`attach` and `mark_sent`), and when the watch's time is up one keeper thread shuts that
connection's socket down, which ends whatever read or write is blocked on it at once. The
client then raises UpstreamTimeout.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import socket
import threading
import time
from contextvars import ContextVar
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

__all__ = [
    "Watch",
    "WatchedAdapter",
    "WatchedHTTPConnection",
    "WatchedHTTPSConnection",
    "current_watch",
    "watching",
]

# The watch of the exchange this thread (context) is making, for the connection classes.
current_watch: ContextVar[Watch | None] = ContextVar("flinkey_current_watch", default=None)


class Watch:
    """One exchange's deadline; `expired` once the keeper cut its connection off."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.expired = False
        self.sent = False  # the whole request was written: a write may have been applied
        self._done = False
        self._connection: Any = None
        self._lock = threading.Lock()

    def attach(self, connection: Any) -> None:
        """Called by the connection about to carry this exchange's request."""
        with self._lock:
            if self._done:
                return
            self._connection = connection
            # A pooled connection carries one exchange after another: only the current
            # one's watch may cut it off.
            connection.flinkey_watch = self
            if self.expired:
                _shut(connection)

    def mark_sent(self) -> None:
        """Called once the request is written and its answer is awaited."""
        self.sent = True

    def disarm(self) -> None:
        """The exchange is over (answered or failed): the keeper leaves it alone."""
        with self._lock:
            self._done = True
            self._connection = None

    def expire(self) -> None:
        """Time is up: cut the connection off (if the exchange is still under way)."""
        with self._lock:
            if self._done:
                return
            self.expired = True
            connection = self._connection
            if connection is not None and getattr(connection, "flinkey_watch", None) is self:
                _shut(connection)


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return  # still connecting: the connect timeout (never beyond the deadline) ends it
    with contextlib.suppress(OSError):  # already closed by the other side or by urllib3
        sock.shutdown(socket.SHUT_RDWR)


class _Keeper:
    """One daemon thread that expires watches in deadline order (not a timer per call)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, Watch]] = []
        self._order = itertools.count()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, watch: Watch) -> None:
        with self._wake:
            heapq.heappush(self._heap, (watch.deadline, next(self._order), watch))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="flinkey-watchdog",
                                                daemon=True)
                self._thread.start()
            # Woken only when this watch expires first: otherwise the keeper already waits
            # for an earlier deadline (calls with the same timeouts come in deadline order),
            # and waking it would only make it take the GIL while this call's request is
            # being sent and the page rendered.
            if self._heap[0][2] is watch:
                self._wake.notify()

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._heap:
                    self._wake.wait()
                deadline, _order, watch = self._heap[0]
                wait = deadline - time.monotonic()
                if wait > 0:
                    self._wake.wait(wait)
                    continue
                heapq.heappop(self._heap)
            watch.expire()


_keeper = _Keeper()


@contextlib.contextmanager
def watching(seconds: float):
    """Run one exchange under a Watch of `seconds`; yields the watch (check `.expired`)."""
    watch = Watch(seconds)
    _keeper.add(watch)
    token = current_watch.set(watch)
    try:
        yield watch
    finally:
        watch.disarm()
        current_watch.reset(token)


# --- the connections that tell their exchange's watch about themselves -------------------


class _Watched:
    """Connection mix-in: hands itself to the exchange's watch before the request goes out,
    and says when the request is written (from then on a write may have been applied)."""

    def request(self, *args, **kwargs):
        watch = current_watch.get()
        if watch is not None:
            watch.attach(self)
        return super().request(*args, **kwargs)

    def getresponse(self, *args, **kwargs):
        watch = current_watch.get()
        if watch is not None:
            watch.mark_sent()
        return super().getresponse(*args, **kwargs)


class WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = WatchedHTTPConnection


class _WatchedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = WatchedHTTPSConnection


class WatchedAdapter(HTTPAdapter):
    """requests' adapter whose connections take part in `watching` (mount it on a session)."""

    pool_classes = {"http": _WatchedHTTPConnectionPool, "https": _WatchedHTTPSConnectionPool}

    def init_poolmanager(self, *args, **kwargs) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = dict(self.pool_classes)
