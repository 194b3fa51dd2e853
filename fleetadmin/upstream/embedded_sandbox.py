"""The flinkey sandbox embedded in the dashboard when FLINKEY_API_URL is unset (demo mode)."""

import errno
import logging
import threading

from django.conf import settings

logger = logging.getLogger(__name__)

_lock = threading.Lock()
_url: str | None = None
_server = None  # kept referenced so the serving thread lives as long as the process


def url() -> str:
    """Return the embedded sandbox's base URL, starting it in this process on first use."""
    global _url, _server
    with _lock:
        if _url is None:
            from flinkey_sandbox import Sandbox

            port = settings.FLINKEY_SANDBOX_PORT
            server = Sandbox()
            try:
                server.start(host="127.0.0.1", port=port)
                _server = server
                logger.info("embedded flinkey sandbox serving on %s", server.url)
            except OSError as error:
                if error.errno != errno.EADDRINUSE:
                    raise
                # Another worker process of this deployment started it first; share it.
                logger.info("embedded flinkey sandbox already running on port %s", port)
            _url = f"http://127.0.0.1:{port}/v3"
        return _url
