"""Response values and the API's body kinds: JSON, plain text, problem JSON."""

import json
import secrets
from dataclasses import dataclass, field

JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
PROBLEM = "application/problem+json; charset=utf-8"

INTERNAL_ERROR = "Internal server error."
BAD_API_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
BAD_TOKEN = "Unauthorized. Access token is missing or invalid."  # noqa: S105 - a message
NO_MANAGER = "Unable to find a manager for the given OAuth ID claim data."
# Inferred: the pages only say Customer-ID is a required integer header.
BAD_CUSTOMER_ID = "Customer-ID header is missing or invalid."
# Inferred: no page documents unknown routes; the gateway answers 404.
NOT_FOUND = "Resource not found."
METHOD_NOT_ALLOWED = "Method not allowed."
# Inferred: ASP.NET's model binding rejects unparsable JSON with 400.
BAD_JSON = "The request body is not valid JSON."


@dataclass
class Response:
    """Status, body bytes, content type and extra headers of one answer."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def text(status: int, message: str) -> Response:
    """Plain-text answer, the API's kind for 400, 404 and 500."""
    return Response(status, message.encode("utf-8"), TEXT)


def json_response(status: int, payload: object) -> Response:
    """JSON answer (UTF-8, not ASCII-escaped, like System.Text.Json's relaxed mode)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(status, body.encode("utf-8"), JSON)


def unauthorized(message: str) -> Response:
    """401 in the gateway's JSON shape."""
    return json_response(401, {"statusCode": 401, "message": message})


def unsupported_media_type() -> Response:
    """415 problem JSON; status is a string, exactly as documented."""
    payload = {
        "type": "https://tools.ietf.org/html/rfc7231#section-6.5.13",
        "title": "Unsupported Media Type",
        "status": "415",
        "traceId": f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00",
    }
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    return Response(415, body, PROBLEM)


def no_content() -> Response:
    """204 without body."""
    return Response(204)


def internal_error() -> Response:
    """500 plain text."""
    return text(500, INTERNAL_ERROR)
