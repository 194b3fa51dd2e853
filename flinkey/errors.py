"""One error hierarchy for everything the flinkey client can fail with, keyed by HTTP status."""

from __future__ import annotations

import json
import re

__all__ = [
    "AuthenticationError",
    "BadRequestError",
    "FlinkeyError",
    "InvalidCredentialsFormat",
    "NotFoundError",
    "ProtocolError",
    "RateLimitedError",
    "ServerError",
    "UnavailableError",
    "UnsupportedMediaTypeError",
    "UpstreamTimeout",
    "error_for_response",
    "message_from_body",
]

# Longer "plain text" bodies are stack traces or pages, not the API's one-sentence message.
_MAX_MESSAGE_CHARS = 500
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
# The keys the API (and the ASP.NET / OAuth layers in front of it) put their sentence under.
_MESSAGE_KEYS = ("message", "error_description", "title", "detail", "error")


class FlinkeyError(Exception):
    """Base of every error the client raises; `.message` is the API's own sentence."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status!r})"


class BadRequestError(FlinkeyError):
    """400: the API refused the request's content.

    `.field` names the field the API's sentence is about, snake_case as the client's own
    arguments ("name", "type", "utc_date_time", "license_plate", ...), or None when it names
    none. Callers use it instead of reading the vendor's wording.
    """

    def __init__(self, message: str, status: int | None = 400, *, field: str | None = None) -> None:
        super().__init__(message, status)
        self.field = field if field is not None else _field_of_400(message)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"field={self.field!r})"
        )


class AuthenticationError(FlinkeyError):
    """401 (or 400 invalid_grant at the token endpoint); `.kind` says which secret was refused."""

    KINDS = ("api_key", "token", "credentials")

    def __init__(self, message: str, status: int | None = 401, *, kind: str = "token") -> None:
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, not {kind!r}")
        super().__init__(message, status)
        self.kind = kind

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, kind={self.kind!r})"
        )


class NotFoundError(FlinkeyError):
    """404: the manager, car, event, user or products do not exist for this customer.

    `.kind` says which, so callers need not read the vendor's wording: "manager" (the API
    manager cannot reach the customer: a set-up fault, not a missing thing), "car",
    "event", "user", "no_products" (the car carries no devices), or "other".
    """

    KINDS = ("manager", "car", "event", "user", "no_products", "other")

    def __init__(self, message: str, status: int | None = 404, *, kind: str | None = None) -> None:
        if kind is None:
            kind = _kind_of_404(message)
        if kind not in self.KINDS:
            raise ValueError(f"kind must be one of {self.KINDS}, not {kind!r}")
        super().__init__(message, status)
        self.kind = kind

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, kind={self.kind!r})"
        )


class UnsupportedMediaTypeError(FlinkeyError):
    """415: the request body had a content type the API does not take."""


class RateLimitedError(FlinkeyError):
    """429: too many requests; `.retry_after` is the seconds the API asked to wait (or None)."""

    def __init__(
        self, message: str, status: int | None = 429, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message, status)
        self.retry_after = retry_after

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, status={self.status!r}, "
            f"retry_after={self.retry_after!r})"
        )


class InvalidCredentialsFormat(FlinkeyError):
    """A credential holds characters that cannot be sent; `.field` names it, never the value."""

    FIELDS = ("api_key", "username", "password")

    def __init__(self, message: str, status: int | None = None, *, field: str = "api_key") -> None:
        if field not in self.FIELDS:
            raise ValueError(f"field must be one of {self.FIELDS}, not {field!r}")
        super().__init__(message, status)
        self.field = field

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, field={self.field!r})"


class ServerError(FlinkeyError):
    """5xx: the API (or a gateway in front of it) failed."""


class ProtocolError(FlinkeyError):
    """A successful answer whose body is not what the API documents; `.detail` says what."""

    MESSAGE = "The flinkey API sent an answer fleetadmin cannot read."

    def __init__(self, detail: str, status: int | None = None) -> None:
        super().__init__(self.MESSAGE, status)
        self.detail = detail

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r}, status={self.status!r})"


class UnavailableError(FlinkeyError):
    """No answer at all; `.write_outcome_unknown` is True if a write may have been executed."""

    def __init__(self, message: str, *, write_outcome_unknown: bool = False) -> None:
        super().__init__(message, None)
        self.write_outcome_unknown = write_outcome_unknown

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.message!r}, "
            f"write_outcome_unknown={self.write_outcome_unknown!r})"
        )


class UpstreamTimeout(UnavailableError):
    """The API did not connect or answer within the client's timeout."""


def message_from_body(body: bytes, content_type: str = "") -> str | None:
    """Return the API's sentence from an error body (JSON or plain text), or None if unreadable."""
    text = _decode(body)
    if text is None:
        return None
    text = text.strip()
    if not text or len(text) > _MAX_MESSAGE_CHARS * 4:
        return None
    if text[0] in '{["' or "json" in content_type.lower():
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        else:
            return _message_from_json(data)
    if text.startswith("<") or "html" in content_type.lower():
        return None
    return _clean(text)


def error_for_response(
    status: int,
    body: bytes,
    content_type: str = "",
    *,
    token_endpoint: bool = False,
    retry_after: float | None = None,
) -> FlinkeyError:
    """Return the error instance for a non-2xx answer (never raises)."""
    message = message_from_body(body, content_type)
    if 300 <= status < 400:
        return FlinkeyError(
            f"The flinkey API answered with a redirect (HTTP {status}); "
            "fleetadmin does not follow redirects from the API.",
            status,
        )
    generic = f"The flinkey API answered with HTTP {status} and no readable message."
    if status == 401:
        return AuthenticationError(
            message or generic, status, kind=_kind_of_401(message, token_endpoint)
        )
    if status == 400 and token_endpoint and _is_invalid_grant(body):
        # OAuth2 answers a wrong username/password with 400 invalid_grant, not 401.
        return AuthenticationError(
            "The flinkey API refused the username or password (invalid_grant).",
            status,
            kind="credentials",
        )
    if status == 429:
        if message is None:
            message = "The flinkey API refused the request: too many requests (HTTP 429)."
            if retry_after is not None:
                message += f" It asked to wait {retry_after:.0f} s."
        return RateLimitedError(message, status, retry_after=retry_after)
    cls = _CLASS_BY_STATUS.get(status)
    if cls is None and 500 <= status < 600:
        cls = ServerError
    return (cls or FlinkeyError)(message or generic, status)


def is_token_refusal(error: FlinkeyError) -> bool:
    """Return True for the 401 a new token cures ("Access token is missing or invalid.")."""
    return (
        isinstance(error, AuthenticationError)
        and error.kind == "token"
        and "access token" in error.message.lower()
    )


_CLASS_BY_STATUS: dict[int, type[FlinkeyError]] = {
    400: BadRequestError,
    404: NotFoundError,
    415: UnsupportedMediaTypeError,
}


# The API's 404 sentences (the vendor's pages and what the sandbox copies from them):
# "Unable to find a manager for the given OAuth ID claim data.", "[Couldn't create event.]
# Unable to find a car|an event|an user for the given carId|eventId|userId which is assigned
# to the given customerId.", "No car can be found for this carId ...", "No products are
# assigned to this car."
_UNABLE_TO_FIND = re.compile(r"\bunable to find an? (manager|car|event|user)\b", re.IGNORECASE)
_NO_CAR = re.compile(r"\bno car can be found\b", re.IGNORECASE)
_NO_PRODUCTS = re.compile(r"\bno products are assigned\b", re.IGNORECASE)
# The API's 400 sentences name the field: "No valid utcDateTime provided.", "The field
# licensePlate must be ...", "No car name given.", "The car name must not be null, ...".
_NAMED_FIELD = re.compile(r"\b(?:no valid|the field) ([A-Za-z]+)\b", re.IGNORECASE)
_CAR_NAME = re.compile(r"\b(?:no car name|car name must)\b", re.IGNORECASE)
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def _kind_of_404(message: str | None) -> str:
    text = message or ""
    if match := _UNABLE_TO_FIND.search(text):
        return match.group(1).lower()
    if _NO_CAR.search(text):
        return "car"
    if _NO_PRODUCTS.search(text):
        return "no_products"
    return "other"


def _field_of_400(message: str | None) -> str | None:
    text = message or ""
    if _CAR_NAME.search(text):
        return "name"
    if match := _NAMED_FIELD.search(text):
        return _CAMEL_HUMP.sub(r"_\1", match.group(1)).lower()
    return None


def _kind_of_401(message: str | None, token_endpoint: bool) -> str:
    lowered = (message or "").lower()
    if "subscription key" in lowered or "api key" in lowered or "api-key" in lowered:
        return "api_key"
    # At /oauth2/token there is no bearer token yet: anything but the key is the credentials.
    return "credentials" if token_endpoint else "token"


def _is_invalid_grant(body: bytes) -> bool:
    text = _decode(body) or ""
    try:
        data = json.loads(text)
    except ValueError:
        return "invalid_grant" in text
    return isinstance(data, dict) and data.get("error") == "invalid_grant"


def _message_from_json(data: object) -> str | None:
    if isinstance(data, str):
        return _clean(data)
    if isinstance(data, dict):
        for key in _MESSAGE_KEYS:
            value = data.get(key)
            if isinstance(value, str) and (cleaned := _clean(value)):
                return cleaned
    return None


def _clean(text: str) -> str | None:
    # The documented 401 plain-text body spans two indented lines: make it one sentence.
    text = " ".join(text.split())
    if not text or len(text) > _MAX_MESSAGE_CHARS or _CONTROL_CHARS.search(text):
        return None
    return text


def _decode(body: bytes) -> str | None:
    # The API does not always name a charset; its sentences are UTF-8 (ASCII in practice).
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None
