"""leadgate.ssrf: which URLs are refused, and that a pinned session connects to the address that was checked."""

import http.server
import socket
import threading

import pytest

from leadgate import ssrf


def resolving_to(monkeypatch, *addresses):
    """Names resolve to `addresses`; address literals (what a pinned session connects to) resolve as always."""
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host[0].isdigit() or ":" in host:
            return real(host, port, *args, **kwargs)
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00:ec2::254",
        "fe80::1",
        "::ffff:10.0.0.1",
        "224.0.0.1",
        "240.0.0.1",
    ],
)
def test_a_name_resolving_to_a_non_public_address_is_refused(monkeypatch, address):
    resolving_to(monkeypatch, "93.184.215.14", address)
    with pytest.raises(ssrf.UnsafeUrl) as refused:
        ssrf.check_url("https://hooks.example.com/in", field="base_url")
    assert list(refused.value.errors) == ["base_url"]


def test_a_public_https_url_is_accepted_and_pinned_to_its_first_address(monkeypatch):
    resolving_to(monkeypatch, "93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    target = ssrf.resolve("https://hooks.example.com:8443/in")
    assert (target.host, target.port, str(target.address)) == ("hooks.example.com", 8443, "93.184.215.14")


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/",
        "ftp://hooks.example.com/",
        "https://u:p@hooks.example.com/",
        "https:///x",
        "https://hooks.example.com:99999/",
    ],
)
def test_other_schemes_credentials_and_bad_ports_are_refused(monkeypatch, url):
    resolving_to(monkeypatch, "93.184.215.14")
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.check_url(url)


def test_a_name_that_does_not_resolve_is_refused():
    with pytest.raises(ssrf.UnsafeUrl, match="does not resolve"):
        ssrf.check_url("https://nothing-here.invalid/")


def test_loopback_is_allowed_only_with_the_local_setting(monkeypatch):
    resolving_to(monkeypatch, "127.0.0.1")
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.check_url("http://localhost:9/")
    assert ssrf.check_url("http://localhost:9/", allow_loopback=True)
    resolving_to(monkeypatch, "10.0.0.1")
    with pytest.raises(ssrf.UnsafeUrl):
        ssrf.check_url("http://localhost:9/", allow_loopback=True)


@pytest.fixture
def receiver():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302 if self.path == "/moved" else 200)
            self.send_header("Location", "http://169.254.169.254/latest/meta-data/")
            self.end_headers()
            self.wfile.write(self.headers["Host"].encode())

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_the_pinned_session_connects_to_the_checked_address_keeps_the_host_and_follows_no_redirect(
    monkeypatch, receiver
):
    resolving_to(monkeypatch, "127.0.0.1")
    target = ssrf.resolve(f"http://hooks.example.test:{receiver}/in", allow_loopback=True)
    resolving_to(monkeypatch, "169.254.169.254")  # rebinding after the check changes nothing
    session = ssrf.pinned_session(target)
    answer = session.get(target.url, timeout=3)
    assert (answer.status_code, answer.text) == (200, f"hooks.example.test:{receiver}")
    moved = session.get(f"http://hooks.example.test:{receiver}/moved", timeout=3)
    assert moved.status_code == 302 and not moved.history
