"""Fixtures for the client's tests: clients bound to the sandbox, and a tiny recording server."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest

from config.testing import free_port
from flinkey import FlinkeyClient
from flinkey_sandbox import DEMO

# Small timeouts and no backoff keep the suite fast; retries stay on (2) as in production.
FAST = {"timeout": (2.0, 5.0), "backoff_factor": 0}


@pytest.fixture
def make_client(sandbox):
    """Return a factory of clients for the demo manager on the sandbox (overridable kwargs)."""
    clients: list[FlinkeyClient] = []

    def make(**overrides) -> FlinkeyClient:
        kwargs = {
            "api_key": DEMO.api_key,
            "username": DEMO.username,
            "password": DEMO.password,
            "customer_id": DEMO.customer_id,
            **FAST,
            **overrides,
        }
        base_url = kwargs.pop("base_url", sandbox.url)
        client = FlinkeyClient(base_url, **kwargs)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> FlinkeyClient:
    """A client for the demo manager and DEMO.customer_id on the sandbox."""
    return make_client()


class Recorded(NamedTuple):
    """One request the recorder received; header names are lower-case."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Answer = tuple[int, dict[str, str], bytes]

TOKEN_BODY = {"access_token": "recorder-token-0123456789", "expires_in": "3600"}


def json_answer(payload: object, status: int = 200) -> Answer:
    """Return an answer with a JSON body."""
    return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()


class Recorder:
    """A real local HTTP server that records requests and answers with `respond(request)`.

    Used where the sandbox cannot help: seeing exact headers and bodies, being the target
    of a redirect, and sending bodies the API never should (garbage).
    """

    def __init__(self, respond: Callable[[Recorded], Answer] | None = None) -> None:
        self.respond = respond or (lambda request: (404, {}, b""))
        self.records: list[Recorded] = []
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                request = Recorded(
                    self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                recorder.records.append(request)
                status, headers, payload = recorder.respond(request)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL in the API's shape, ending in /v3."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/v3"

    def __enter__(self) -> Recorder:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()


def routes(table: dict[tuple[str, str], Answer]) -> Callable[[Recorded], Answer]:
    """Return a responder answering (method, path without query) from `table`, else 404."""

    def respond(request: Recorded) -> Answer:
        path = request.path.split("?")[0]
        return table.get((request.method, path), (404, {}, b"Resource not found."))

    return respond


@pytest.fixture
def recorder_client():
    """Return a factory: (responder) -> (client bound to a Recorder, the Recorder)."""
    servers: list[Recorder] = []
    clients: list[FlinkeyClient] = []

    def make(respond, **overrides) -> tuple[FlinkeyClient, Recorder]:
        server = Recorder(respond).__enter__()
        servers.append(server)
        kwargs = {
            "api_key": "recorder-api-key",
            "username": "manager",
            "password": "recorder-password",
            "customer_id": 7,
            **FAST,
            **overrides,
        }
        client = FlinkeyClient(server.url, **kwargs)
        clients.append(client)
        return client, server

    yield make
    for client in clients:
        client.close()
    for server in servers:
        server.__exit__(None, None, None)


@pytest.fixture
def closed_port() -> int:
    """Return a local port nothing listens on (bound, then released)."""
    return free_port()


class CountingProxy:
    """A TCP proxy to one local port that counts the connections clients open through it.

    Its URL is new to the process, so the shared session registry holds no connection
    for it yet: every connection the client opens shows up in `connections`.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.connections = 0
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        """Base URL in the API's shape, ending in /v3."""
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}/v3"

    def _accept(self) -> None:
        while True:
            try:
                downstream, _ = self._listener.accept()
            except OSError:
                return  # closed
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self._lock:
                self.connections += 1
                self._sockets += [downstream, upstream]
            for source, sink in ((downstream, upstream), (upstream, downstream)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                sock.close()


@pytest.fixture
def counting_proxy(sandbox):
    """A CountingProxy in front of the sandbox."""
    port = urlsplit(sandbox.url).port
    proxy = CountingProxy(port)
    yield proxy
    proxy.close()
