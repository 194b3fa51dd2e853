"""A delaying TCP proxy on loopback: a real network's round trips, without `tc netem`.

    with DelayProxy(("127.0.0.1", upstream_port), rtt=0.05) as proxy:
        proxy.port                   # connect here instead of upstream
        proxy.round_trips()          # connections + request/response exchanges so far

Every connection is held for one round trip before anything passes (the TCP handshake),
and every segment waits half a round trip in each direction, in order, pipelined (a long
answer is not slowed by its length, only by the distance). So a TLS handshake, a new
connection, a request costs what it costs across the internet.

Round trips counted: one per connection set up, and one per exchange, i.e. each time the
client speaks after the server did (or first): a TLS 1.3 handshake is one exchange, a
request and its answer another. Both are counted when they happen, so a reader takes a
difference around what it measures.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

__all__ = ["DelayProxy", "address_of"]


def address_of(url: str) -> tuple[str, int]:
    """(host, port) of a server's base URL, e.g. a sandbox's: what DelayProxy forwards to."""
    from urllib.parse import urlsplit

    split = urlsplit(url)
    return split.hostname, split.port


@dataclass
class Counts:
    connections: int = 0
    exchanges: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class DelayProxy:
    """Forward 127.0.0.1:port to `upstream`, adding `rtt` seconds per round trip."""

    def __init__(self, upstream: tuple[str, int], rtt: float = 0.05, host: str = "127.0.0.1"):
        self.upstream = upstream
        self.rtt = float(rtt)
        self.host = host
        self.port = 0
        self._counts = Counts()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._ready = threading.Event()
        self._connections: set[asyncio.Task] = set()

    # --- counting -------------------------------------------------------------------------

    def round_trips(self) -> int:
        """Connections set up plus exchanges, since the start."""
        with self._counts.lock:
            return self._counts.connections + self._counts.exchanges

    def counts(self) -> tuple[int, int]:
        """(connections, exchanges) since the start."""
        with self._counts.lock:
            return self._counts.connections, self._counts.exchanges

    # --- lifecycle ------------------------------------------------------------------------

    def start(self) -> DelayProxy:
        self._thread = threading.Thread(target=self._run, name="delay-proxy", daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("delay proxy did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop = None

    def __enter__(self) -> DelayProxy:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    async def _shutdown(self) -> None:
        self._server.close()
        current = asyncio.current_task()
        for _ in range(10):  # cancelling a connection ends the tasks it started, too
            tasks = [task for task in asyncio.all_tasks() if task is not current]
            if not tasks:
                break
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        asyncio.get_running_loop().stop()

    def _run(self) -> None:
        loop = self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._server = loop.run_until_complete(
            asyncio.start_server(self._serve, self.host, 0, backlog=512)
        )
        self.port = self._server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    # --- one connection -------------------------------------------------------------------

    async def _serve(self, client_reader, client_writer) -> None:
        # The event loop keeps only weak references to tasks: a connection's task must be
        # held here, or the garbage collector may end it mid-transfer.
        task = asyncio.current_task()
        self._connections.add(task)
        task.add_done_callback(self._connections.discard)
        accepted = time.monotonic()
        with self._counts.lock:
            self._counts.connections += 1
        upstream_writer = None
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
            _nodelay(client_writer)
            _nodelay(upstream_writer)
            # SYN, SYN-ACK, ACK: nothing can be sent before one round trip has passed.
            state = {"client_turn": True, "ready_at": accepted + self.rtt}
            await asyncio.gather(
                self._pipe(client_reader, upstream_writer, state, from_client=True),
                self._pipe(upstream_reader, client_writer, state, from_client=False),
            )
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass
        finally:
            for writer in (client_writer, upstream_writer):
                if writer is not None:
                    writer.close()

    async def _pipe(self, reader, writer, state, *, from_client: bool) -> None:
        half = self.rtt / 2
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                wait = due - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                if data is None:
                    if writer.can_write_eof():
                        writer.write_eof()
                    return
                writer.write(data)
                await writer.drain()

        sender = asyncio.create_task(deliver())
        try:
            while True:
                data = await reader.read(65536)
                now = time.monotonic()
                if from_client and data and state["client_turn"]:
                    state["client_turn"] = False
                    with self._counts.lock:
                        self._counts.exchanges += 1
                elif not from_client and data:
                    state["client_turn"] = True
                # Sent no earlier than the connection is up, arriving half a round trip later.
                due = max(now, state["ready_at"] - half) + half
                queue.put_nowait((due, data or None))
                if not data:
                    break
            await sender
        except (ConnectionError, OSError, asyncio.CancelledError):
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)
            writer.close()
            raise


def _nodelay(writer) -> None:
    import socket

    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
