"""The flinkey sandbox behind a delaying proxy, in a process of its own: the far side.

    with RemoteUpstream(rtt=0.05, tls=(cert, key), extra_cars=10_000) as upstream:
        upstream.url                 # http(s)://127.0.0.1:<proxy port>/v3
        upstream.direct_url          # the sandbox itself, no delay (for set-up only)
        upstream.round_trips()       # what the proxy counted so far
        upstream.last_query("/cars") # the query of the last request to that path
        upstream.request_count(path_prefix="/oauth2")  # what the sandbox saw so far
        upstream.clear_requests()

Keyword arguments other than `rtt` go to `flinkey_sandbox.Sandbox` (extra_cars,
extra_located, large_event_car, tls).

Why a process: the real API is another machine. In the benchmark's own process, the
sandbox's and the proxy's threads share the dashboard's GIL, so any work the dashboard does
while its call is on the network (which is the point of sending the call first) would
delay the upstream's answer, a cost no real network has.
"""

from __future__ import annotations

import multiprocessing
from typing import Any

__all__ = ["RemoteUpstream"]


def _serve(conn, rtt: float, options: dict[str, Any]) -> None:
    """The child: start the sandbox and its proxy, say where, then answer questions."""
    from benchmarks.netdelay import DelayProxy, address_of
    from flinkey_sandbox import Sandbox

    sandbox = Sandbox(**options).start()
    proxy = DelayProxy(address_of(sandbox.url), rtt=rtt).start()
    conn.send(("https" if options.get("tls") else "http", proxy.port, sandbox.url))
    try:
        while True:
            command, argument = conn.recv()
            if command == "round_trips":
                conn.send(proxy.round_trips())
            elif command == "last_query":
                seen = [r.query for r in sandbox.requests if r.path == argument]
                conn.send(seen[-1] if seen else None)
            elif command == "request_count":
                conn.send(sandbox.request_count(**argument))
            elif command == "clear_requests":
                sandbox.clear_requests()
                conn.send(None)
            else:  # "stop"
                return
    finally:
        proxy.stop()
        sandbox.stop()


class RemoteUpstream:
    """A sandbox (HTTP, or HTTPS with `tls`) behind a DelayProxy, run in a child process."""

    def __init__(self, *, rtt: float, **sandbox_options: Any) -> None:
        # spawn: a fresh interpreter, not a fork of one whose threads may hold locks.
        context = multiprocessing.get_context("spawn")
        self._conn, child = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child, rtt, sandbox_options), name="flinkey-upstream",
            daemon=True,
        )
        self._process.start()
        waited = 0.0
        # Generous: seeding 10,000 located cars takes a while on a busy machine.
        while not self._conn.poll(0.2):
            waited += 0.2
            if not self._process.is_alive() or waited > 300:
                self._process.kill()
                raise RuntimeError("the upstream process did not start (see its output above)")
        scheme, port, self.direct_url = self._conn.recv()
        self.url = f"{scheme}://127.0.0.1:{port}/v3"

    def _ask(self, command: str, argument: Any = None) -> Any:
        self._conn.send((command, argument))
        return self._conn.recv()

    def round_trips(self) -> int:
        """Connections set up plus request/response exchanges the proxy has seen so far."""
        return self._ask("round_trips")

    def last_query(self, path: str) -> dict[str, str] | None:
        """The query parameters of the last request the sandbox saw for `path`."""
        return self._ask("last_query", path)

    def request_count(self, method: str | None = None, path_prefix: str | None = None) -> int:
        """Requests the sandbox has seen (as `Sandbox.request_count`)."""
        return self._ask("request_count", {"method": method, "path_prefix": path_prefix})

    def clear_requests(self) -> None:
        self._ask("clear_requests")

    def stop(self) -> None:
        if self._process.is_alive():
            self._conn.send(("stop", None))
            self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

    def __enter__(self) -> RemoteUpstream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
