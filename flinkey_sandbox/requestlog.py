"""Thread-safe log of every request the sandbox received."""

import threading
from collections import deque
from typing import NamedTuple


class RequestRecord(NamedTuple):
    """One request: path is relative to /v3 (like fault prefixes), query maps name to value."""

    method: str
    path: str
    query: dict
    status: int
    customer_id: int | None


class RequestLog:
    """Append-only list of RequestRecord, safe to read while the server writes."""

    # Bounded (oldest records drop out) so a long-running demo server does not grow forever;
    # the default is far above what any test sends.

    def __init__(self, limit: int | None = 100_000):
        self._lock = threading.Lock()
        self._records: deque[RequestRecord] = deque(maxlen=limit)

    def add(self, record: RequestRecord) -> None:
        """Remember one answered request."""
        with self._lock:
            self._records.append(record)

    def records(self) -> list[RequestRecord]:
        """A copy of the records so far, oldest first."""
        with self._lock:
            return list(self._records)

    def count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """How many requests matched the method and path prefix (None = any)."""
        with self._lock:
            return sum(
                1
                for r in self._records
                if (method is None or r.method == method.upper())
                and (path_prefix is None or r.path.startswith(path_prefix))
            )

    def clear(self) -> None:
        """Forget every record."""
        with self._lock:
            self._records.clear()
