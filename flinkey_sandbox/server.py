"""HTTP plumbing: parse requests, check headers, apply faults, dispatch, log, answer."""

import http
import io
import re
import sys
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, unquote, urlsplit

from . import api
from .requestlog import RequestRecord
from .responses import (
    BAD_API_KEY,
    BAD_CUSTOMER_ID,
    BAD_TOKEN,
    INTERNAL_ERROR,
    METHOD_NOT_ALLOWED,
    NO_MANAGER,
    NOT_FOUND,
    Response,
    internal_error,
    json_response,
    text,
    unauthorized,
    unsupported_media_type,
)

BASE = "/v3"
CUSTOMER_ID = re.compile(r"^-?\d{1,10}$")
# What fail_next answers per status when the API documents no sentence of its own.
FAULT_SENTENCES = {500: INTERNAL_ERROR}


# Answer to a request that arrived before a reset() and woke up after it: the state it was
# meant for is gone, as if the server had restarted under it.
STALE_STATUS = 503


@dataclass(frozen=True)
class Context:
    """What one request works on: the store of the generation it arrived in."""

    sandbox: object
    generation: int
    store: object

    @property
    def api_key(self) -> str:
        return self.sandbox.api_key

    @property
    def faults(self):
        return self.sandbox.faults

    @property
    def tokens(self):
        return self.sandbox.tokens

    def is_current(self) -> bool:
        """False once the sandbox was reset after this request arrived."""
        return self.sandbox.generation == self.generation


def stale_response() -> Response:
    """503 for a request that outlived a reset; the connection is closed after it."""
    response = fault_response(STALE_STATUS)
    response.headers["Connection"] = "close"
    return response


def fault_response(status: int) -> Response:
    """The body an injected failure carries: the API's own kind where one is documented."""
    if status == 401:
        return unauthorized(BAD_TOKEN)
    if status == 415:
        return unsupported_media_type()
    if status == 429:
        # Azure API Management's rate-limit answer, in front of the real API.
        response = json_response(
            429, {"statusCode": 429, "message": "Rate limit is exceeded. Try again in 1 seconds."}
        )
        response.headers["Retry-After"] = "1"
        return response
    try:
        phrase = http.HTTPStatus(status).phrase
    except ValueError:
        phrase = "Injected failure"
    return text(status, FAULT_SENTENCES.get(status, phrase + "."))


def parse_customer_id(value: str | None) -> int | None:
    """The Customer-ID header as int32, None when missing or not an integer."""
    if value is None or not CUSTOMER_ID.match(value.strip()):
        return None
    number = int(value.strip())
    return number if -(2**31) <= number < 2**31 else None


def dispatch(env, method: str, path: str, query: list, headers: dict, body: bytes) -> Response:
    """Check the gateway headers in the API's order, then run the endpoint."""
    if path != BASE and not path.startswith(BASE + "/"):
        return text(404, NOT_FOUND)
    path = path[len(BASE) :]
    # The gateway checks the subscription key before anything else, for every path.
    if headers.get("flinkey-api-key") != env.api_key:
        return unauthorized(BAD_API_KEY)
    found = api.match(path)
    if found is None:
        return text(404, NOT_FOUND)
    route, params = found
    handler = route.methods.get(method)
    if handler is None:
        response = text(405, METHOD_NOT_ALLOWED)
        response.headers["Allow"] = ", ".join(route.methods)
        return response
    request = api.Request(method, path, query, headers, body, params)
    if route.needs_token:
        auth = headers.get("authorization", "")
        scheme, _, token = auth.partition(" ")
        owner = env.tokens.owner(token.strip()) if scheme.lower() == "bearer" else None
        manager = env.store.managers.get(owner) if owner else None
        if manager is None:
            return unauthorized(BAD_TOKEN)
        if env.faults.revokes_token():
            # The revocation fault: this token dies now, for every request still using it.
            env.tokens.revoke(token.strip())
            return unauthorized(BAD_TOKEN)
        request.manager = manager
    if route.needs_customer:
        customer_id = parse_customer_id(headers.get("customer-id"))
        if customer_id is None:
            return text(400, BAD_CUSTOMER_ID)  # inferred sentence, see responses.py
        if customer_id not in request.manager.customer_ids:
            return text(404, NO_MANAGER)
        request.customer_id = customer_id
    try:
        return handler(env, request)
    except api.BadBody as exc:
        return text(400, str(exc))


class Handler(BaseHTTPRequestHandler):
    """One connection; every method goes through `_handle`."""

    protocol_version = "HTTP/1.1"  # keep-alive, like the real gateway
    # Without this every small response waits for the delayed-ACK timer (~40 ms a request).
    disable_nagle_algorithm = True

    def version_string(self) -> str:
        """The Server header."""
        return "flinkey-sandbox"

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():
                        pass  # trailers
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        env = self.server.sandbox
        split = urlsplit(self.path)
        path = unquote(split.path)
        query = parse_qsl(split.query, keep_blank_values=True)
        relative = path[len(BASE) :] if path.startswith(BASE) else path
        headers = {k.lower(): v for k, v in self.headers.items()}
        customer_id = parse_customer_id(headers.get("customer-id"))
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            body = b""
        generation, store = env.snapshot()
        context = Context(env, generation, store)
        fault = None
        try:
            fault = env.faults.take(self.command, relative)
            env.faults.sleep(fault.latency + fault.hang)
            if not context.is_current():
                response = stale_response()
            elif fault.fail_status is not None:
                response = fault_response(fault.fail_status)
            elif fault.redirect_to is not None:
                response = Response(307, b"", None, {"Location": fault.redirect_to})
            else:
                response = dispatch(context, self.command, path, query, headers, body)
                if not context.is_current():
                    # Reset while answering: whatever it wrote went into the old store.
                    response = stale_response()
        except Exception:  # never a traceback to the client, never a dead thread
            if env.verbose:
                import traceback

                traceback.print_exc(file=sys.stderr)
            response = internal_error()
        # Logged before answering, so a client that got its answer sees the record; a request
        # from before a reset belongs to the log that reset cleared.
        if context.is_current():
            record = RequestRecord(
                self.command, relative, dict(query), response.status, customer_id
            )
            env.log.add(record)
        if response.headers.get("Connection") == "close":
            self.close_connection = True
        if fault is not None and fault.trickle and context.is_current():
            self._trickle(response, fault.trickle)
        else:
            self._send(response)

    def _trickle(self, response: Response, rate: float) -> None:
        """Write the whole answer at `rate` bytes per second (the trickle fault)."""
        real, self.wfile = self.wfile, io.BytesIO()
        try:
            self._send(response)
            raw = self.wfile.getvalue()
        finally:
            self.wfile = real
        # Evenly: a byte every 1/rate seconds, or (fast rates) a few bytes every 10 ms.
        interval = max(1.0 / rate, 0.01)
        piece = max(1, round(rate * interval))
        faults = self.server.sandbox.faults
        try:
            for start in range(0, len(raw), piece):
                self.wfile.write(raw[start : start + piece])
                self.wfile.flush()
                if start + piece < len(raw) and faults.sleep(interval):
                    break  # reset or stopped: give up on this answer
            else:
                return
        except OSError:
            pass  # the client gave up (its time limit cut the connection)
        self.close_connection = True

    def _send(self, response: Response) -> None:
        try:
            self.send_response(response.status)
            if response.content_type:
                self.send_header("Content-Type", response.content_type)
            for name, value in response.headers.items():
                self.send_header(name, value)
            if response.status != 204:
                self.send_header("Content-Length", str(len(response.body)))
            self.end_headers()
            if response.status != 204 and self.command != "HEAD":
                self.wfile.write(response.body)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (e.g. its timeout fired)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        """Quiet unless the sandbox is verbose (the CLI)."""
        if self.server.sandbox.verbose:
            sys.stderr.write(f"{self.address_string()} - {format % args}\n")


class Server(ThreadingHTTPServer):
    """Threaded server whose threads never keep the process alive."""

    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 drops bursts of parallel connects for a second

    def __init__(self, address, sandbox, tls=None):
        self.sandbox = sandbox
        self.tls = tls
        super().__init__(address, Handler)

    def get_request(self):
        """Accept; with TLS, wrap the socket and leave the handshake to the connection's
        thread (its first read), so one slow or refusing client never stalls the accept loop."""
        connection, address = super().get_request()
        if self.tls is not None:
            connection = self.tls.wrap_socket(
                connection, server_side=True, do_handshake_on_connect=False
            )
        return connection, address

    def handle_error(self, request, client_address) -> None:
        """Dropped connections are normal here (client timeouts); stay quiet."""
        if self.sandbox.verbose:
            super().handle_error(request, client_address)
