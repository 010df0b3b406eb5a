"""The HTTP server: a threaded stdlib server handing each request to the gateway (or a local stand-in).

Whatever arrives, the client gets an answer in our envelope, as API Gateway answers it: a request line,
header or body framing that cannot be trusted is a 400 from the template's `DEFAULT_4XX` (and the connection
is closed, since where the next request starts is unknown); any method goes to the gateway, which answers
one no route has as API Gateway does (`MISSING_AUTHENTICATION_TOKEN`). http.server's HTML error pages and
its 501 for unknown methods never reach a client.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote, urlsplit

from leadgate.masking import mask_pii
from leadgate_dev.local.gateway import HttpRequest, HttpResponse, render_gateway_response
from leadgate_dev.template import GatewayResponseSpec

logger = logging.getLogger("local_stack.http")

Handler = Callable[[HttpRequest], HttpResponse]
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit
IDLE_TIMEOUT_SECONDS = 60  # a client that stops sending (an idle keep-alive, a body shorter than announced)
MAX_CHUNK_LINE = 1024
# RFC 9110 tokens (methods, header names); header values without control characters other than tab.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_DIGITS = re.compile(r"[0-9]+")
_HEX = re.compile(r"[0-9A-Fa-f]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# Query parameters whose values are people's data whatever they look like: masked wholly in the access log.
PRIVATE_PARAMETERS = frozenset({"search", "email", "phone"})
_MASK_LABEL = re.compile(r"\[(?:email|phone)\]")


class Rejected(Exception):
    """The request cannot be served: answer the gateway response `response_type` and close the connection."""

    def __init__(self, response_type: str, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.response_type = response_type
        self.status = status


class LocalHttpServer(ThreadingHTTPServer):
    """One thread per connection; `routes` maps exact local paths (stand-ins) before the gateway."""

    daemon_threads = True
    request_queue_size = 256  # bursts of concurrent clients (race tests) must not be refused
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        gateway: Handler,
        routes: Mapping[str, Handler],
        responses: Mapping[str, GatewayResponseSpec],
    ) -> None:
        """`responses`: the template's gateway responses, for the answers the server gives itself."""
        # Bound now (a port in use fails at once), listening only from serve_forever(): until the stack is
        # ready, connections are refused instead of piling up unanswered.
        super().__init__(address, RequestHandler, bind_and_activate=False)
        try:
            self.server_bind()
        except OSError:
            self.server_close()
            raise
        self.gateway = gateway
        self.local_routes = dict(routes)
        self.responses = dict(responses)

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self.server_activate()
        super().serve_forever(poll_interval)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            return  # the client went away or fell silent: nothing to answer
        super().handle_error(request, client_address)

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        return self.local_routes.get(request.raw_path, self.gateway)(request)

    def rejection(self, rejected: Rejected) -> HttpResponse:
        # The template's gateway responses carry the security headers (nosniff, no-store).
        return render_gateway_response(self.responses, rejected.response_type, str(uuid.uuid4()), rejected.status)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # else keep-alive requests stall about 40 ms each (delayed ACK)
    timeout = IDLE_TIMEOUT_SECONDS
    server: LocalHttpServer

    def __getattr__(self, name: str) -> Callable[[], None]:
        # Every method, known or not (TRACE, PROPFIND, ...), goes to the gateway: it answers as API Gateway.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def parse_request(self) -> bool:
        self._started = time.perf_counter()
        if not super().parse_request():
            return False
        try:
            self._check_request()
        except Rejected as rejected:
            self._reject(rejected)
            return False
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own rejections (request line, header lines, lengths) as our 400 envelope."""
        status = code if 400 <= code < 500 else 400  # 505 (an HTTP version we do not speak) is the client's
        self._reject(Rejected("DEFAULT_4XX", message or f"http.server's {code}", status))

    def _serve(self) -> None:
        try:
            body = self._read_body()
        except Rejected as rejected:
            self._reject(rejected)
            return
        split = urlsplit(self.path)
        request = HttpRequest(
            method=self.command,
            raw_path=split.path or "/",
            query=split.query,
            headers=list(self.headers.items()),
            body=body,
            source_ip=self.client_address[0],
        )
        try:
            response = self.server.dispatch(request)
        except Exception:  # a bug of the local stack itself: still an answer, and the traceback in its log
            logger.exception("the local stack failed on %s %s", self.command, split.path)
            self._reject(Rejected("DEFAULT_5XX", "the local stack failed"))
            return
        self._answer(response, f"{self.command} {_readable(split.path, split.query)}")

    def _reject(self, rejected: Rejected) -> None:
        self.close_connection = True
        if not self.request_version.startswith("HTTP/1."):
            self.request_version = "HTTP/1.1"  # else http.server writes a bare body (HTTP/0.9) without a status
        self._answer(self.server.rejection(rejected), f"{_readable(self.requestline)} rejected: {rejected}")

    def _answer(self, response: HttpResponse, what: str) -> None:
        # The access log, written before the answer so that it is complete once the client has it (`what` is
        # masked by `_readable`; the stack's log formatter masks emails and phone numbers once more).
        elapsed_ms = (time.perf_counter() - getattr(self, "_started", time.perf_counter())) * 1000
        logger.info("%s %d %.1f ms %s", what, response.status, elapsed_ms, response.header("X-Request-Id") or "")
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    # ---------------------------------------------------------------- what arrived

    def _check_request(self) -> None:
        if not self.request_version.startswith("HTTP/1."):
            raise Rejected("DEFAULT_4XX", "HTTP/0.9")
        if not _TOKEN.fullmatch(self.command or ""):
            raise Rejected("DEFAULT_4XX", "bad method")
        if self.headers.defects:
            raise Rejected("DEFAULT_4XX", "malformed header line")
        for name, value in self.headers.items():
            if not _TOKEN.fullmatch(name) or _BAD_VALUE.search(value):
                raise Rejected("DEFAULT_4XX", "bad header")
        lengths = self.headers.get_all("Content-Length") or []
        if len({value.strip() for value in lengths}) > 1 or not all(_DIGITS.fullmatch(v.strip()) for v in lengths):
            raise Rejected("DEFAULT_4XX", "bad Content-Length")
        encodings = self.headers.get_all("Transfer-Encoding") or []
        if encodings and ([value.strip().lower() for value in encodings] != ["chunked"] or lengths):
            raise Rejected("DEFAULT_4XX", "bad Transfer-Encoding")

    def _read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding"):
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            raise Rejected("REQUEST_TOO_LARGE", "body over the payload limit")
        body = self._read(length)
        if len(body) < length:
            raise Rejected("DEFAULT_4XX", "body shorter than its Content-Length")
        return body

    def _read_chunked(self) -> bytes:
        chunks: list[bytes] = []
        total = 0
        while True:
            size_field = self._read_line().split(b";", 1)[0].strip()
            if not _HEX.fullmatch(size_field.decode("latin-1")):
                raise Rejected("DEFAULT_4XX", "bad chunk size")
            size = int(size_field, 16)
            if size == 0:
                while self._read_line():
                    pass  # trailers, up to the empty line
                return b"".join(chunks)
            total += size
            if total > MAX_BODY_BYTES:
                raise Rejected("REQUEST_TOO_LARGE", "body over the payload limit")
            chunk = self._read(size)
            if len(chunk) < size or self._read_line():
                raise Rejected("DEFAULT_4XX", "bad chunk")
            chunks.append(chunk)

    def _read_line(self) -> bytes:
        """One CRLF-terminated line of the chunked framing, without its end."""
        line = self._read_framing(lambda: self.rfile.readline(MAX_CHUNK_LINE + 1))
        if not line.endswith(b"\n") or len(line) > MAX_CHUNK_LINE:
            raise Rejected("DEFAULT_4XX", "bad chunked framing")
        return line.rstrip(b"\r\n")

    def _read(self, size: int) -> bytes:
        return self._read_framing(lambda: self.rfile.read(size)) if size else b""

    def _read_framing(self, read: Callable[[], bytes]) -> bytes:
        try:
            return read()
        except TimeoutError:
            raise Rejected("DEFAULT_4XX", "the client stopped sending the body") from None

    def log_message(self, format: str, *args: object) -> None:
        logger.debug(format, *args)


def _readable(path: str, query: str = "") -> str:
    """A request target for the log: percent-decoded, so the masking sees `a%40b.jp` as the email it is;
    each path segment and query value masked wholly where it holds people's data (`_masked`), so no part
    of a search term or phone number is left in clear; control characters escaped, so a request cannot
    forge log lines."""
    segments = "/".join(_masked(unquote(segment)) for segment in path.split("/"))
    parts = [segments, *(_parameter(parameter) for parameter in query.split("&") if parameter)]
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", " ".join(parts))


def _parameter(parameter: str) -> str:
    name, separator, value = (unquote(part) for part in parameter.partition("="))
    if value and name in PRIVATE_PARAMETERS:
        return f"{name}{separator}[{name}]"
    return f"{name}{separator}{_masked(value)}"


def _masked(value: str) -> str:
    """`value` as it is, or wholly replaced by the label of what the masking rule recognises in it."""
    found = _MASK_LABEL.search(mask_pii(value))
    return found.group() if found else value
