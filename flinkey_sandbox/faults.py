"""Fault injection: latency, random 500s, one-shot failures, hangs, redirects, trickles,
token revocation."""

import random
import threading
from dataclasses import dataclass


@dataclass
class _Rule:
    """One queued one-shot fault, matched by path prefix (below /v3) and method."""

    kind: str  # "fail", "hang", "redirect" or "trickle"
    path_prefix: str
    count: int
    method: str | None = None
    status: int = 500
    seconds: float = 0.0
    location: str = ""
    rate: float = 0.0  # trickle: bytes per second

    def matches(self, method: str, path: str) -> bool:
        """True when this rule applies to the request."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return path.startswith(self.path_prefix)


@dataclass(frozen=True)
class Fault:
    """What the server must do to one request instead of (or before) answering it."""

    latency: float = 0.0
    hang: float = 0.0
    fail_status: int | None = None
    redirect_to: str | None = None
    trickle: float = 0.0  # bytes per second the whole answer is written at (0: at once)


class Faults:
    """Thread-safe fault settings; the server asks `take()` once per request."""

    def __init__(self, seed: int = 7):
        self._lock = threading.Lock()
        self._seed = seed
        self.clear()

    def clear(self) -> None:
        """Back to no faults, default token lifetime, and a re-seeded failure dice."""
        with self._lock:
            self.latency = 0.0
            self.failure_rate = 0.0
            self.token_lifetime = 3600
            # Every Nth request that carries a valid token has that token revoked and is
            # answered 401 "Access token is missing or invalid." (0: never). Requests still
            # in flight with the revoked token are refused too, as at flinkey.
            self.revoke_token_every = 0
            self._valid_token_requests = 0
            self._revoked = 0
            self._rules: list[_Rule] = []
            # Seeded so a test using failure_rate sees the same sequence every run.
            self._random = random.Random(self._seed)
            # Wakes requests that are still hanging from before the reset.
            old = getattr(self, "_wake", None)
            self._wake = threading.Event()
        if old is not None:
            old.set()

    def fail_next(
        self, path_prefix: str, status: int = 500, count: int = 1, method: str | None = None
    ) -> None:
        """Answer the next `count` matching requests with `status`."""
        self._add(_Rule("fail", path_prefix, count, method, status=int(status)))

    def hang_next(
        self, path_prefix: str, seconds: float, count: int = 1, method: str | None = None
    ) -> None:
        """Sleep `seconds` before answering the next `count` matching requests."""
        self._add(_Rule("hang", path_prefix, count, method, seconds=float(seconds)))

    def redirect_next(
        self, path_prefix: str, location: str, count: int = 1, method: str | None = None
    ) -> None:
        """Answer the next `count` matching requests with 307 to `location`."""
        self._add(_Rule("redirect", path_prefix, count, method, location=location))

    def trickle_next(
        self,
        path_prefix: str,
        bytes_per_second: float = 1.0,
        count: int = 1,
        method: str | None = None,
    ) -> None:
        """Write the whole answer (status line, headers, body) of the next `count` matching
        requests at `bytes_per_second`, after handling them (a write is applied at once).

        Each socket read of the client gets a byte soon, so a per-read timeout never fires:
        only a limit on the whole exchange ends it.
        """
        if not bytes_per_second > 0:
            raise ValueError("bytes_per_second must be above 0")
        self._add(_Rule("trickle", path_prefix, count, method, rate=float(bytes_per_second)))

    def _add(self, rule: _Rule) -> None:
        if rule.count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._rules.append(rule)

    def take(self, method: str, path: str) -> Fault:
        """Consume the faults that apply to one request (path relative to /v3)."""
        with self._lock:
            hang = 0.0
            trickle = 0.0
            fail_status = None
            redirect_to = None
            for rule in list(self._rules):
                if not rule.matches(method, path):
                    continue
                if rule.kind == "hang" and not hang:
                    hang = rule.seconds
                elif rule.kind == "trickle" and not trickle:
                    trickle = rule.rate
                elif rule.kind == "fail" and fail_status is None and redirect_to is None:
                    fail_status = rule.status
                elif rule.kind == "redirect" and fail_status is None and redirect_to is None:
                    redirect_to = rule.location
                else:
                    continue
                rule.count -= 1
                if rule.count == 0:
                    self._rules.remove(rule)
            if (
                fail_status is None
                and redirect_to is None
                and self.failure_rate > 0
                and self._random.random() < self.failure_rate
            ):
                fail_status = 500
            return Fault(float(self.latency or 0), hang, fail_status, redirect_to, trickle)

    def revokes_token(self) -> bool:
        """Count one request carrying a valid token; True when that token must be revoked."""
        with self._lock:
            every = int(self.revoke_token_every or 0)
            if every < 1:
                return False
            self._valid_token_requests += 1
            revoke = self._valid_token_requests % every == 0
            self._revoked += revoke
            return revoke

    @property
    def tokens_revoked(self) -> int:
        """How many tokens the revocation fault has revoked since the last clear()."""
        with self._lock:
            return self._revoked

    def release(self) -> None:
        """Wake every request that is sleeping in a hang or latency right now."""
        with self._lock:
            old, self._wake = self._wake, threading.Event()
        old.set()

    def sleep(self, seconds: float) -> bool:
        """Sleep, but wake early when the faults are cleared (reset/stop); True if woken."""
        if seconds > 0:
            with self._lock:
                wake = self._wake
            return wake.wait(seconds)
        return False
