"""The webhook's signature: HMAC-SHA256 with the webhook's secret over "<timestamp>.<body>".

The README shows how a receiver checks it (and the timestamp's age, against replays).
"""

import hashlib
import hmac

TIMESTAMP_HEADER = "X-Fleetadmin-Timestamp"
SIGNATURE_HEADER = "X-Fleetadmin-Signature"
KEY_HEADER = "Idempotency-Key"


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """Return "sha256=<hex>" for `body` sent at `timestamp` (Unix seconds)."""
    digest = hmac.new(secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signed: str) -> bool:
    """True when `signed` is the signature of `body` at `timestamp` (constant time)."""
    return hmac.compare_digest(signature(secret, int(timestamp), body), signed)
