"""The alerts' one HTTP request: POST a signed alert to a webhook of the fleet.

The banned-api rule (pyproject.toml) keeps HTTP inside flinkey/; this module is exempt
because a webhook is a call to the customer's own receiver, never to flinkey. It connects
to the very address `alerts.addresses.check` approved (TLS still verifies the host name),
and every step has a time budget: `ALERTS_WEBHOOK_CONNECT_TIMEOUT` to connect, and the
whole exchange ends after `ALERTS_WEBHOOK_TIMEOUT` seconds, however slowly the receiver
answers.
"""

import http.client
import socket
import ssl
import time
from dataclasses import dataclass

from django.conf import settings

# Enough of the answer for the delivery log; the rest is not read.
MAX_ANSWER_BYTES = 2000


@dataclass(frozen=True)
class Answer:
    status: int
    text: str


class NoAnswer(Exception):
    """The receiver could not be reached or did not answer in time."""


def post(*, scheme: str, host: str, port: int, address: str, path: str, body: bytes,
         headers: dict) -> Answer:
    """POST `body` to host:port (connecting to `address`) and return the answer."""
    deadline = time.monotonic() + settings.ALERTS_WEBHOOK_TIMEOUT
    connect_timeout = min(settings.ALERTS_WEBHOOK_CONNECT_TIMEOUT,
                          settings.ALERTS_WEBHOOK_TIMEOUT)
    if scheme == "https":
        connection = http.client.HTTPSConnection(host, port, timeout=connect_timeout,
                                                 context=ssl.create_default_context())
    else:
        connection = http.client.HTTPConnection(host, port, timeout=connect_timeout)

    def pinned(_address, timeout, source_address=None):
        return socket.create_connection((address, port), timeout, source_address)

    connection._create_connection = pinned
    try:
        connection.connect()
        # Kept: a "Connection: close" answer takes the socket away from the connection.
        sock = connection.sock
        sock.settimeout(_left(deadline))
        connection.request("POST", path, body=body, headers=headers)
        sock.settimeout(_left(deadline))
        response = connection.getresponse()
        text = b""
        while len(text) < MAX_ANSWER_BYTES:
            sock.settimeout(_left(deadline))
            chunk = response.read1(MAX_ANSWER_BYTES - len(text))
            if not chunk:
                break
            text += chunk
        return Answer(response.status, text.decode("utf-8", "replace"))
    except (OSError, http.client.HTTPException) as error:
        raise NoAnswer(type(error).__name__ + (f": {error}" if str(error) else "")) from None
    finally:
        connection.close()


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the webhook's time budget ran out")
    return left
