"""The Sandbox: seeded store, tokens, faults and request log behind a real HTTP server."""

import ssl
import threading
from datetime import UTC, datetime

from . import seed
from .faults import Faults
from .requestlog import RequestLog, RequestRecord
from .server import Server
from .tls import server_context
from .tokens import Tokens


class Sandbox:
    """A stateful fake of the flinkey API v3; `with Sandbox() as sb:` starts and stops it."""

    def __init__(
        self,
        extra_cars: int = 0,
        anchor: datetime | None = None,
        seed_value: int = seed.SEED,
        verbose: bool = False,
        *,
        extra_located: bool = False,
        large_event_car: bool | int = False,
        tls: tuple[str, str] | ssl.SSLContext | None = None,
    ):
        """`extra_located`: the extra cars get an IQ and a position history (each car's
        made per day on first use). `large_event_car`: DEMO.large_event_car_id gets 100,000
        more events (or this many), made on first use. `tls`: serve HTTPS, with a
        (certificate chain file, key file) pair or a server-side SSLContext (see
        `flinkey_sandbox.tls.make_certificates` for a throwaway CA)."""
        if anchor is not None and anchor.tzinfo is None:
            anchor = anchor.replace(tzinfo=UTC)  # naive anchors are read as UTC
        self.anchor = anchor or seed.default_anchor()
        self.extra_cars = extra_cars
        self.extra_located = extra_located
        self.large_event_car = large_event_car
        self.api_key = seed.DEMO.api_key
        self.verbose = verbose
        if isinstance(tls, tuple):
            tls = server_context(*tls)
        self.tls: ssl.SSLContext | None = tls
        self._pristine = seed.build(
            self.anchor, extra_cars, seed_value, extra_located, large_event_car
        )
        self.store = self._pristine.copy()
        # Bumped by reset(): a request that arrived before a reset (e.g. one held in a hang)
        # must not read or write the fresh state when it wakes up.
        self.generation = 0
        self._state_lock = threading.Lock()
        self.faults = Faults()
        self.tokens = Tokens()
        self.log = RequestLog()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle ----------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> "Sandbox":
        """Serve in a background thread; port 0 picks a free port."""
        if self._server is not None:
            raise RuntimeError("sandbox already started")
        self._server = Server((host, port), self, tls=self.tls)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="flinkey-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port; safe to call twice."""
        server, self._server = self._server, None
        if server is None:
            return
        self.faults.release()  # wake hanging requests so their threads finish
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._thread = None

    def __enter__(self) -> "Sandbox":
        if self._server is None:
            self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Base URL including /v3, e.g. http://127.0.0.1:54321/v3 (https:// with `tls`)."""
        if self._server is None:
            raise RuntimeError("sandbox not started")
        host, port = self._server.server_address[:2]
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.tls is not None else "http"
        return f"{scheme}://{host}:{port}/v3"

    def reset(self) -> None:
        """Back to the seeded state; clears faults, tokens and the request log."""
        fresh = self._pristine.copy()
        with self._state_lock:  # new generation and new store at once, before waking anyone
            self.generation += 1
            self.store = fresh
        self.faults.clear()
        self.tokens.expire_all()
        self.log.clear()

    def snapshot(self) -> tuple[int, "object"]:
        """(generation, store) as one consistent pair, taken when a request arrives."""
        with self._state_lock:
            return self.generation, self.store

    # --- tokens and request log ---------------------------------------------------------

    def expire_tokens(self) -> None:
        """Every token issued so far now answers 401 "...missing or invalid."."""
        self.tokens.expire_all()

    @property
    def requests(self) -> list[RequestRecord]:
        """Every request received so far (oldest first), as RequestRecord tuples."""
        return self.log.records()

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """How many requests matched; path_prefix is relative to /v3, e.g. "/cars"."""
        return self.log.count(method, path_prefix)

    def clear_requests(self) -> None:
        """Forget the request log."""
        self.log.clear()
