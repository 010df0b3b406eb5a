"""The local stack's HTTP server over real sockets: whatever arrives, an answer in our envelope (never a
closed connection without one, never http.server's HTML pages), unknown methods answered as API Gateway
answers them, and an access log that masks emails and phone numbers."""

import http.client
import io
import json
import logging
import socket
import threading
import time
import uuid

import pytest

from leadgate_dev import template
from leadgate_dev.local.__main__ import MaskingFormatter
from leadgate_dev.local.authorizer import PolicyCache
from leadgate_dev.local.gateway import Gateway, HttpResponse
from leadgate_dev.local.instances import FunctionPool
from leadgate_dev.local.server import MAX_BODY_BYTES, LocalHttpServer


class NoPlans:
    def admit(self, *, route, api_key, request_id):
        return None


@pytest.fixture(scope="module")
def server():
    gateway = Gateway(
        routes=template.api_routes(),
        responses=template.gateway_responses(),
        method_not_allowed=template.method_not_allowed(),
        functions=FunctionPool(size=2),
        policy_cache=PolicyCache(300),
        usage_plans=NoPlans(),
    )

    def echo(request):
        return HttpResponse(200, [("Content-Type", "application/octet-stream")], request.body)

    def crash(request):
        raise RuntimeError("a bug in the local stack")

    routes = {"/_echo": echo, "/_crash": crash}
    http_server = LocalHttpServer(("127.0.0.1", 0), gateway.handle, routes, template.gateway_responses())
    thread = threading.Thread(target=http_server.serve_forever, daemon=True)
    thread.start()
    wait_until_listening(http_server)
    yield http_server
    http_server.shutdown()
    http_server.server_close()


def wait_until_listening(server):
    """The server listens from serve_forever() on (connections are refused before)."""
    for _ in range(100):
        try:
            socket.create_connection(server.server_address[:2], timeout=1).close()
            return
        except ConnectionRefusedError:
            time.sleep(0.05)
    raise AssertionError("the server never listened")


def connect(server):
    connection = socket.create_connection(server.server_address[:2], timeout=10)
    return connection


def exchange(connection, raw):
    """Sends raw bytes and reads one HTTP response from the connection."""
    if raw:
        connection.sendall(raw)
    response = http.client.HTTPResponse(connection)
    response.begin()
    body = response.read()
    return response, body


def send(server, raw, *, half_close=False):
    with connect(server) as connection:
        if half_close:
            connection.sendall(raw)
            connection.shutdown(socket.SHUT_WR)
            raw = b""
        return exchange(connection, raw)


def assert_envelope(response, body, status, code):
    assert response.status == status, body
    assert response.getheader("Content-Type", "").startswith("application/json")
    envelope = json.loads(body)
    assert set(envelope) == {"status", "message", "code", "errors"}
    assert (envelope["status"], envelope["code"], envelope["errors"]) == ("error", code, {})
    uuid.UUID(response.getheader("X-Request-Id"))
    return envelope


def assert_rejected(response, body, status=400):
    assert_envelope(response, body, status, "PAYLOAD_TOO_LARGE" if status == 413 else "BAD_REQUEST")
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert response.getheader("Connection") == "close"


HEALTH = b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n\r\n"


@pytest.mark.parametrize("method", [b"TRACE", b"PROPFIND", b"CONNECT", b"BREW", b"POST", b"DELETE"])
def test_undeclared_methods_on_a_declared_path_are_405_with_allow_and_the_connection_stays_open(server, method):
    with connect(server) as connection:
        request = method + b" /api/v1/health HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello"
        response, body = exchange(connection, request)

        assert_envelope(response, body, 405, "METHOD_NOT_ALLOWED")
        assert response.getheader("Allow") == "GET"
        assert response.getheader("X-Content-Type-Options") == "nosniff"
        # The body was read: the next request on the same connection is understood.
        again, again_body = exchange(connection, HEALTH)
        assert again.status == 200, again_body


@pytest.mark.parametrize(
    "request_line",
    [
        b"garbage",
        b"GET",
        b"GET /api/v1/health HTTP/1.1 extra",
        b"GET /api/v1/health HTTP/9.9",
        b"GET /api/v1/health FOO/1.1",
        b"GET /api/v1/health HTTP/1.x",
        b"G(T /api/v1/health HTTP/1.1",
        b"GET /api/v1/health",  # HTTP/0.9
        b"\x00\x01\x02 / HTTP/1.1",
    ],
)
def test_a_bad_request_line_is_a_400_envelope(server, request_line):
    response, body = send(server, request_line + b"\r\nHost: localhost\r\n\r\n")

    assert_rejected(response, body)


def test_an_overlong_request_line_is_a_4xx_envelope(server):
    response, body = send(server, b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n")

    assert_rejected(response, body, 414)


@pytest.mark.parametrize(
    "header",
    [
        b"Bad Header: yes",
        b"NoColon",
        b"X-Nul: a\x00b",
        b"X-Escape: \x1b[31m",
        b" Folded: first-line-continuation",
        b"X-Long: " + b"a" * 70_000,
    ],
)
def test_a_bad_header_is_a_4xx_envelope(server, header):
    response, body = send(server, b"GET /api/v1/health HTTP/1.1\r\nHost: localhost\r\n" + header + b"\r\n\r\n")

    assert_rejected(response, body, 431 if len(header) > 65_536 else 400)


@pytest.mark.parametrize(
    "framing",
    [
        b"Content-Length: abc",
        b"Content-Length: -1",
        b"Content-Length: +3",
        b"Content-Length: 1, 2",
        b"Content-Length: 3\r\nContent-Length: 4",
        b"Content-Length: 3\r\nTransfer-Encoding: chunked",
        b"Transfer-Encoding: gzip",
        b"Transfer-Encoding: gzip, chunked",
    ],
)
def test_a_bad_content_length_or_transfer_encoding_is_a_400_envelope(server, framing):
    response, body = send(server, b"POST /_echo HTTP/1.1\r\nHost: localhost\r\n" + framing + b"\r\n\r\nabc")

    assert_rejected(response, body)


def test_a_body_shorter_than_its_content_length_is_a_400_envelope(server):
    raw = b"POST /_echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\nonly this"

    response, body = send(server, raw, half_close=True)

    assert_rejected(response, body)


def test_a_body_over_the_payload_limit_is_a_413_envelope_without_reading_it(server):
    raw = f"POST /_echo HTTP/1.1\r\nHost: localhost\r\nContent-Length: {MAX_BODY_BYTES + 1}\r\n\r\n".encode()

    response, body = send(server, raw)

    assert_rejected(response, body, 413)


def test_a_chunked_body_arrives_whole(server):
    chunks = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    raw = b"POST /_echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks

    response, body = send(server, raw)

    assert (response.status, body) == (200, b"hello world")


@pytest.mark.parametrize(
    "chunks",
    [
        b"zz\r\nhello\r\n0\r\n\r\n",  # not a hex size
        b"-5\r\nhello\r\n0\r\n\r\n",
        b"5\r\nhello!!\r\n0\r\n\r\n",  # more data than the size says
        b"5\r\nhel",  # cut short
        b"5\r\nhello\r\n",  # no last chunk
    ],
)
def test_bad_chunked_framing_is_a_400_envelope(server, chunks):
    raw = b"POST /_echo HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks

    response, body = send(server, raw, half_close=True)

    assert_rejected(response, body)


def test_a_failure_of_the_local_stack_itself_is_still_an_envelope(server):
    response, body = send(server, b"GET /_crash HTTP/1.1\r\nHost: localhost\r\n\r\n")

    assert_envelope(response, body, 500, "SERVER_ERROR")


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        (b"TRACE", b"/api/v1/leads", "GET, POST"),
        (b"PATCH", b"/api/v1/leads", "GET, POST"),
        (b"GET", b"/api/v1/leads/01J/tags", "POST"),
        (b"POST", b"/api/v1/leads/lookup", "GET"),
        (b"DELETE", b"/api/v1/leads/lookup", "GET"),
    ],
)
def test_a_resource_answers_405_with_its_own_methods_without_running_a_function(server, method, path, allow):
    response, body = send(server, method + b" " + path + b" HTTP/1.1\r\nHost: localhost\r\n\r\n")

    assert_envelope(response, body, 405, "METHOD_NOT_ALLOWED")
    assert response.getheader("Allow") == allow


def test_an_undeclared_path_is_still_no_route(server):
    response, body = send(server, b"TRACE /api/v1/nope HTTP/1.1\r\nHost: localhost\r\n\r\n")

    assert_envelope(response, body, 404, "NOT_FOUND")
    assert response.getheader("Allow") is None


def test_the_server_keeps_serving_after_rejections(server):
    for raw in (b"garbage\r\n\r\n", b"POST /_echo HTTP/1.1\r\nContent-Length: x\r\n\r\n"):
        assert send(server, raw)[0].status == 400

    response, body = send(server, HEALTH)

    assert response.status == 200, body


def test_the_access_log_masks_emails_and_phone_numbers_in_query_strings(server):
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(MaskingFormatter("%(name)s %(message)s"))
    access_log = logging.getLogger("local_stack.http")
    access_log.addHandler(handler)
    previous_level = access_log.level
    access_log.setLevel(logging.INFO)
    try:
        send(
            server, b"GET /api/v1/nope?email=alice%40example.com&e2=bob@example.org&tel=090-1234-5678 HTTP/1.1\r\n\r\n"
        )
        send(server, b"GET /?phone=+819012345678 extra words\r\n\r\n")  # a rejected request line is logged too
    finally:
        access_log.removeHandler(handler)
        access_log.setLevel(previous_level)

    log = output.getvalue()
    assert "/api/v1/nope" in log and " 404 " in log and " 400 " in log
    for secret in ("alice", "bob@example.org", "090-1234-5678", "819012345678"):
        assert secret not in log
    assert "[email]" in log and "[phone]" in log


@pytest.mark.parametrize(
    ("query", "secrets", "shown"),
    [
        ("search=%E4%BD%90%E8%97%A4%E8%8A%B1%E5%AD%90", ["佐藤", "花子"], "search=[search]"),
        ("phone=%2B81-90-1111-2222x", ["2222", "1111"], "phone=[phone]"),
        ("email=hana", ["hana"], "email=[email]"),
        ("q=%2B81-90-1111-2222x", ["2222", "1111"], "q=[phone]"),
        ("per_page=10&note=a.b%40example.jp", ["a.b", "example.jp"], "note=[email]"),
    ],
)
def test_the_access_log_masks_private_query_values_wholly(server, query, secrets, shown):
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(logging.Formatter("%(message)s"))  # without the formatter's own masking
    access_log = logging.getLogger("local_stack.http")
    access_log.addHandler(handler)
    previous_level = access_log.level
    access_log.setLevel(logging.INFO)
    try:
        send(server, f"GET /api/v1/nope?{query} HTTP/1.1\r\n\r\n".encode())
    finally:
        access_log.removeHandler(handler)
        access_log.setLevel(previous_level)

    log = output.getvalue()
    assert shown in log, log
    assert not [secret for secret in secrets if secret in log], log
