"""Which API keys, usernames and passwords the client can send, and why not.

The API key travels in a header: http.client encodes header values as Latin-1 and
refuses CR/LF, requests refuses leading whitespace, so a pasted zero-width space or line
break used to crash deep inside the HTTP stack. Username and password travel form-encoded
as UTF-8 (any letter, € or emoji is fine), but control and invisible format characters
there are paste accidents the API can only answer with "invalid_grant".
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidCredentialsFormat

__all__ = ["credential_problem", "header_safe", "invalid_credentials"]

_LABELS = {"api_key": "API key", "username": "username", "password": "password"}
# The zero-width joiner glues emoji sequences (👨‍👩‍👧): legitimate in a password.
_ALLOWED_FORMAT_CHARS = frozenset("\u200d")


def header_safe(value: str) -> bool:
    """Return True if `value` is non-empty visible ASCII (what API keys and tokens are)."""
    return bool(value) and all("\x21" <= char <= "\x7e" for char in value)


def credential_problem(field: str, value: str) -> str | None:
    """Return why `value` cannot serve as the credential `field`, or None if it can.

    `field` is "api_key", "username" or "password". The reason is a plain-English
    sentence naming the field, never the value. Surrounding whitespace is reported too
    (a paste accident in practice), although the client itself sends it unchanged in a
    username or password.
    """
    label = _label(field)
    if not isinstance(value, str):
        return f"The {label} must be text."
    if not value:
        return None if field == "password" else f"The {label} is empty."
    if value != value.strip():
        return f"The {label} starts or ends with a space or line break."
    return _unsendable(field, value)


def invalid_credentials(
    api_key: str, username: str, password: str
) -> InvalidCredentialsFormat | None:
    """Return the error for the first credential the client cannot send, or None."""
    for field, value in (("api_key", api_key), ("username", username), ("password", password)):
        reason = _unsendable(field, value)
        if reason is not None:
            return InvalidCredentialsFormat(reason, field=field)
    return None


def _unsendable(field: str, value: str) -> str | None:
    label = _label(field)
    if field == "api_key":
        if header_safe(value):
            return None
        if value != value.strip() or any(char.isspace() for char in value):
            return f"The {label} contains a space or line break; an API key has none."
        return (
            f"The {label} contains a character that cannot be sent to the flinkey API "
            "(an invisible, control or non-ASCII character, often from copy and paste)."
        )
    for char in value:
        category = unicodedata.category(char)
        if category == "Cc" or category in ("Zl", "Zp"):
            return f"The {label} contains a line break or another control character."
        if category == "Cf" and char not in _ALLOWED_FORMAT_CHARS:
            return (
                f"The {label} contains an invisible character (such as a zero-width space), "
                "often from copy and paste."
            )
    return None


def _label(field: str) -> str:
    try:
        return _LABELS[field]
    except KeyError:
        raise ValueError(f"field must be one of {sorted(_LABELS)}, not {field!r}") from None
