"""Issued bearer tokens and their expiry."""

import secrets
import threading
import time


class Tokens:
    """Random opaque tokens mapped to (manager username, expiry as epoch seconds)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[str, float]] = {}

    def issue(self, username: str, lifetime: float) -> str:
        """A new token for `username`, valid for `lifetime` seconds."""
        token = secrets.token_urlsafe(48)
        with self._lock:
            self._tokens[token] = (username, time.time() + lifetime)
        return token

    def owner(self, token: str) -> str | None:
        """The manager a still-valid token belongs to, else None."""
        with self._lock:
            entry = self._tokens.get(token)
            if entry is None:
                return None
            if entry[1] <= time.time():
                del self._tokens[token]
                return None
            return entry[0]

    def revoke(self, token: str) -> None:
        """Invalidate one token."""
        with self._lock:
            self._tokens.pop(token, None)

    def expire_all(self) -> None:
        """Invalidate every token issued so far."""
        with self._lock:
            self._tokens.clear()
