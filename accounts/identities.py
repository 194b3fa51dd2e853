"""Names for accounts made from an outside identity (single sign-on, a portal's header)."""

import hashlib

from django.contrib.auth import get_user_model
from django.core.exceptions import SuspiciousOperation


def free_username(wanted: str, issuer: str, subject: str) -> str:
    """Return `wanted` if no account has that name, else `wanted~<digest of the identity>`.

    A local account (or another provider's) with that name is never reused: identities are
    matched by issuer and subject, and the name only has to be free and recognisable.
    """
    wanted = wanted[:120]
    users = get_user_model().objects
    if not users.filter(username=wanted).exists():
        return wanted
    digest = hashlib.sha256(f"{issuer}\0{subject}".encode()).hexdigest()
    for length in (8, 16, 64):
        candidate = f"{wanted}~{digest[:length]}"[:150]
        if not users.filter(username=candidate).exists():
            return candidate
    raise SuspiciousOperation("No free username for this identity.")
