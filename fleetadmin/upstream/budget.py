"""Every web request has an upstream time budget that ends before the web server kills it.

A worker killed mid-request (gunicorn's --timeout, 30 s by default) may leave an applied
write unconfirmed; so all flinkey calls of one request together get at most
FLINKEY_REQUEST_BUDGET seconds (25 by default), counted from when the request came in.
"""

import time
from contextvars import ContextVar

from django.conf import settings

_deadline: ContextVar[float | None] = ContextVar("fleetadmin_request_deadline", default=None)


def time_left() -> float | None:
    """Return the seconds the current request may still spend upstream, or None outside one."""
    deadline = _deadline.get()
    return None if deadline is None else max(0.0, deadline - time.monotonic())


class RequestBudgetMiddleware:
    """Starts the request's upstream budget; listed first, so it counts the whole request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _deadline.set(time.monotonic() + settings.FLINKEY_REQUEST_BUDGET)
        try:
            return self.get_response(request)
        finally:
            _deadline.reset(token)
