"""The HTTP server: a threaded stdlib server handing each request to the gateway (or a local stand-in)."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from leadgate_dev.local.gateway import HttpRequest, HttpResponse

logger = logging.getLogger("local_stack.http")

Handler = Callable[[HttpRequest], HttpResponse]
MAX_BODY_BYTES = 10 * 1024 * 1024  # API Gateway's payload limit


class LocalHttpServer(ThreadingHTTPServer):
    """One thread per connection; `routes` maps exact local paths (stand-ins) before the gateway."""

    daemon_threads = True
    request_queue_size = 256  # bursts of concurrent clients (race tests) must not be refused
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], gateway: Handler, routes: Mapping[str, Handler]) -> None:
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

    def serve_forever(self, poll_interval: float = 0.5) -> None:
        self.server_activate()
        super().serve_forever(poll_interval)

    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        if isinstance(sys.exc_info()[1], ConnectionError):
            return  # the client went away (timeout, closed connection): nothing to answer
        super().handle_error(request, client_address)

    def dispatch(self, request: HttpRequest) -> HttpResponse:
        return self.local_routes.get(request.raw_path, self.gateway)(request)


class RequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    disable_nagle_algorithm = True  # else keep-alive requests stall about 40 ms each (delayed ACK)
    server: LocalHttpServer

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_PATCH(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def do_OPTIONS(self) -> None:
        self._serve()

    def do_HEAD(self) -> None:
        self._serve()

    def __getattr__(self, name: str):
        # Any other method (TRACE, QUERY, ...): API Gateway answers it (with a gateway response), where the
        # stdlib server would say 501 for want of a `do_` method.
        if name.startswith("do_"):
            return self._serve
        raise AttributeError(name)

    def _serve(self) -> None:
        started = time.perf_counter()
        body = self._read_body()
        if body is None:
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
        response = self.server.dispatch(request)
        self.send_response(response.status)
        for name, value in response.headers:
            if name.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(response.body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)
        logger.info(
            "%s %s %d %.1f ms %s",
            self.command,
            self.path,
            response.status,
            (time.perf_counter() - started) * 1000,
            response.header("X-Request-Id") or "",
        )

    def _read_body(self) -> bytes | None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self.send_error(413, "Request Too Long")
            return None
        return self.rfile.read(length) if length else b""

    def _read_chunked(self) -> bytes:
        chunks = []
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)
            chunks.append(self.rfile.read(size))
            self.rfile.readline()

    def log_message(self, format: str, *args: object) -> None:
        logger.debug(format, *args)
