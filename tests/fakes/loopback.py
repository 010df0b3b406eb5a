"""A loopback HTTP server for fake provider APIs: records what it receives, and injects faults on demand.

A fake is a function `answer(request) -> Reply`; the server adds what every fake needs: the record of the
requests received (headers, parsed JSON body), and faults queued by the test (`fail(...)`): a status with
headers and body (429 with `Retry-After`, 5xx, 401), or a slow answer, each for the next N requests.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: Any  # parsed JSON, or None
    raw: bytes


@dataclass(frozen=True)
class Reply:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fault:
    reply: Reply | None = None  # answer this instead of the fake's answer
    delay: float = 0.0  # seconds to wait before answering (a slow provider)


class LoopbackServer:
    def __init__(self, answer: Callable[[Received], Reply]) -> None:
        self.answer = answer
        self.received: list[Received] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True  # keep-alive requests otherwise stall ~40 ms each

            def do_POST(self) -> None:
                self._handle()

            def do_GET(self) -> None:
                self._handle()

            def do_PUT(self) -> None:
                self._handle()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    body = None
                request = Received(self.command, self.path, {k.lower(): v for k, v in self.headers.items()}, body, raw)
                reply = server._reply(request)
                payload = json.dumps(reply.body, ensure_ascii=False).encode() if reply.body is not None else b""
                self.send_response(reply.status)
                headers = {"Content-Type": "application/json; charset=utf-8", **reply.headers}
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                try:
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):  # the client timed out on a slow answer
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LoopbackServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def fail(self, reply: Reply | None = None, *, times: int = 1, delay: float = 0.0) -> None:
        """The next `times` requests get `reply` (after `delay` seconds) instead of the fake's answer;
        `reply=None` with a delay makes them slow but right."""
        with self._lock:
            self._faults.extend(Fault(reply, delay) for _ in range(times))

    def _reply(self, request: Received) -> Reply:
        with self._lock:
            self.received.append(request)
            fault = self._faults.popleft() if self._faults else None
        if fault and fault.delay:
            time.sleep(fault.delay)
        if fault and fault.reply:
            return fault.reply
        with self._lock:
            return self.answer(request)
