"""The bearer token the API hands out at /oauth2/token, and how long it may be used."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from .credentials import header_safe
from .errors import ProtocolError

__all__ = ["Token"]

# Reuse a token until this many seconds before it expires, so a call never starts
# with a token that dies in flight; a short-lived token renews at a quarter of its
# lifetime instead (a 30 s token with a 60 s margin would be fetched before every call).
DEFAULT_MARGIN = 60
MARGIN_SHARE_OF_LIFETIME = 0.25


@dataclass(frozen=True)
class Token:
    """An access token, the aware moment it expires and (if known) when it was issued.

    Its repr never shows the secret.
    """

    access_token: str = field(repr=False)
    expires_at: datetime
    issued_at: datetime | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.access_token, str) or not self.access_token:
            raise ValueError("access_token must be a non-empty string")
        if not isinstance(self.expires_at, datetime) or self.expires_at.tzinfo is None:
            raise ValueError("expires_at must be a timezone-aware datetime")
        if self.issued_at is not None and (
            not isinstance(self.issued_at, datetime) or self.issued_at.tzinfo is None
        ):
            raise ValueError("issued_at must be a timezone-aware datetime or None")
        if self.issued_at is not None and self.issued_at > self.expires_at:
            raise ValueError("issued_at must not be after expires_at")

    def __repr__(self) -> str:
        return f"Token(access_token='***', expires_at={self.expires_at.isoformat()!r})"

    __str__ = __repr__

    @property
    def lifetime(self) -> float | None:
        """Seconds from issue to expiry, or None for a token whose issue time is unknown."""
        if self.issued_at is None:
            return None
        return (self.expires_at - self.issued_at).total_seconds()

    @property
    def renewal_margin(self) -> float:
        """Seconds before expiry at which to renew: 60, or a quarter of a short lifetime."""
        lifetime = self.lifetime
        if lifetime is None:
            return DEFAULT_MARGIN
        return min(DEFAULT_MARGIN, lifetime * MARGIN_SHARE_OF_LIFETIME)

    def is_fresh(self, now: datetime | None = None, margin: float | None = None) -> bool:
        """Return True if the token is usable for at least `margin` (default: renewal_margin) s."""
        now = now or datetime.now(UTC)
        if margin is None:
            margin = self.renewal_margin
        return now + timedelta(seconds=margin) < self.expires_at

    def to_dict(self) -> dict[str, str]:
        """Return a JSON-safe dict for a cache; `Token.from_dict` reverses it."""
        data = {"access_token": self.access_token, "expires_at": self.expires_at.isoformat()}
        if self.issued_at is not None:
            data["issued_at"] = self.issued_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Token:
        """Return the Token stored by `to_dict` (with or without issued_at); raises ValueError."""
        try:
            expires_at = datetime.fromisoformat(data["expires_at"])
            issued = data.get("issued_at")
            issued_at = None if issued is None else datetime.fromisoformat(issued)
            return cls(
                access_token=data["access_token"], expires_at=expires_at, issued_at=issued_at
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a stored Token: {exc}") from None

    @classmethod
    def from_response(cls, body: object, now: datetime | None = None) -> Token:
        """Return the Token in a /oauth2/token answer; raises ProtocolError if it has none."""
        if not isinstance(body, dict):
            raise ProtocolError("token answer is not a JSON object", 200)
        access_token = body.get("access_token")
        if not isinstance(access_token, str) or not access_token:
            raise ProtocolError("token answer has no access_token", 200)
        if not header_safe(access_token):
            # It goes into every Authorization header; refuse it here, not in http.client.
            raise ProtocolError("token answer has an access_token that cannot be sent", 200)
        seconds = _seconds(body.get("expires_in"))
        now = now or datetime.now(UTC)
        return cls(
            access_token=access_token, expires_at=now + timedelta(seconds=seconds), issued_at=now
        )


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
