"""The bearer token the API hands out at /oauth2/token, and how long it may be used."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import ProtocolError

__all__ = ["Token"]

# Reuse a token until this many seconds before it expires, so a call never starts
# with a token that dies in flight.
DEFAULT_MARGIN = 60


@dataclass(frozen=True)
class Token:
    """An access token and the aware moment it expires; its repr never shows the secret."""

    access_token: str = field(repr=False)
    expires_at: datetime

    def __post_init__(self) -> None:
        if not isinstance(self.access_token, str) or not self.access_token:
            raise ValueError("access_token must be a non-empty string")
        if not isinstance(self.expires_at, datetime) or self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be a timezone-aware datetime")

    def __repr__(self) -> str:
        return f"Token(access_token='***', expires_at={self.expires_at.isoformat()!r})"

    __str__ = __repr__

    def is_fresh(self, now: datetime | None = None, margin: float = DEFAULT_MARGIN) -> bool:
        """Return True if the token is usable for at least `margin` more seconds."""
        now = now or datetime.now(UTC)
        return now + timedelta(seconds=margin) < self.expires_at

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-safe dict for a cache; `Token.from_dict` reverses it."""
        return {"access_token": self.access_token, "expires_at": self.expires_at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Token:
        """Return the Token stored by `to_dict`; raises ValueError on anything else."""
        try:
            expires_at = datetime.fromisoformat(data["expires_at"])
            return cls(access_token=data["access_token"], expires_at=expires_at)
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a stored Token: {exc}") from None

    @classmethod
    def from_response(cls, body: object, now: datetime | None = None) -> Token:
        """Return the Token in a /oauth2/token answer; raises ProtocolError if it has none."""
        if not isinstance(body, dict):
            raise ProtocolError("token answer is not a JSON object", 200)
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ProtocolError("token answer has no access_token", 200)
        seconds = _seconds(body.get("expires_in"))
        now = now or datetime.now(UTC)
        return cls(access_token=access_token, expires_at=now + timedelta(seconds=seconds))


def _seconds(value: object) -> float:
    # The API sends expires_in as a STRING of seconds ("3600"); a number is fine too.
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ProtocolError("token answer has no expires_in", 200)
    try:
        seconds = float(value)
    except ValueError:
        raise ProtocolError(f"token answer has an unreadable expires_in {value!r}", 200) from None
    if not math.isfinite(seconds):
        raise ProtocolError(f"token answer has an unreadable expires_in {value!r}", 200)
    return max(seconds, 0.0)
