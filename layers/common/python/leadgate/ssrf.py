"""The guard on every URL a user gives us (webhook endpoints, integrations' base URLs, automations' webhooks).

A URL is safe when it is `https` and every address its host resolves to is public: not loopback, private,
link-local (169.254.169.254 included), reserved, multicast, unspecified, shared (100.64/10) or the EC2
metadata address over IPv6 (fd00:ec2::254). The check runs when the URL is saved (`check_url`, a 422) and
again when it is used (`resolve`): a name can be made to resolve elsewhere after it was saved (DNS rebinding),
so the caller connects to the address that was checked (`pinned_session`) and never follows redirects.

The local stack's fakes and test receivers listen on 127.0.0.1: with `allow_loopback` (the setting
`ALLOW_LOOPBACK_URLS`, set by the local stack only) `http://` and loopback addresses are accepted too, and
nothing else is relaxed.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPSConnectionPool

from leadgate.errors import ValidationFailed

METADATA_ADDRESSES = frozenset({ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")})
SHARED_ADDRESS_SPACE = ipaddress.ip_network("100.64.0.0/10")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(ValidationFailed):
    """A URL we refuse to call; `errors` names the field when the caller gives one."""


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to (the first the host resolved to, all of them checked)."""

    url: str
    host: str
    port: int
    address: IPAddress


def is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not (
        address in METADATA_ADDRESSES
        or address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or (isinstance(address, ipaddress.IPv4Address) and address in SHARED_ADDRESS_SPACE)
    )


def resolve(url: str, *, allow_loopback: bool = False, field: str = "url") -> Target:
    """Check `url` and every address its host resolves to now; the `Target` says where to connect."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host or parts.username or parts.password:
        raise _unsafe(field, "The URL must name a host, without credentials.")
    if parts.scheme != "https" and not (allow_loopback and parts.scheme == "http"):
        raise _unsafe(field, "The URL must use https.")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _unsafe(field, "The URL's port is not valid.") from None
    addresses = _addresses(host, port, field)
    for address in addresses:
        if address.is_loopback and allow_loopback:
            continue
        if not is_public(address):
            raise _unsafe(field, "The URL must not point at a private, loopback, link-local or metadata address.")
    return Target(url=url, host=host, port=port, address=addresses[0])


def check_url(url: str, *, allow_loopback: bool = False, field: str = "url") -> str:
    """The save-time check: `url` unchanged when it is safe, else `UnsafeUrl` naming `field`."""
    resolve(url, allow_loopback=allow_loopback, field=field)
    return url


def pinned_session(target: Target) -> requests.Session:
    """A session that connects to `target.address` (checked) whatever the name resolves to by then, keeps the
    host name for TLS (SNI and certificate) and the `Host` header, and never follows redirects."""
    session = _NoRedirects()
    session.mount(f"{urlsplit(target.url).scheme}://", _PinnedAdapter(target))
    return session


class _NoRedirects(requests.Session):
    def request(self, *args, **kwargs):
        return super().request(*args, **{**kwargs, "allow_redirects": False})


class _PinnedAdapter(HTTPAdapter):
    def __init__(self, target: Target) -> None:
        self._target = target
        super().__init__(max_retries=0)

    def get_connection_with_tls_context(self, request, verify, proxies=None, cert=None):
        pool = super().get_connection_with_tls_context(request, verify, proxies=proxies, cert=cert)
        pool.host, pool.port = str(self._target.address), self._target.port
        if isinstance(pool, HTTPSConnectionPool):
            pool.conn_kw = {**pool.conn_kw, "server_hostname": self._target.host}
            pool.assert_hostname = self._target.host
        return pool

    def add_headers(self, request, **kwargs) -> None:
        default_port = 443 if self._target.url.startswith("https:") else 80
        port = "" if self._target.port == default_port else f":{self._target.port}"
        request.headers["Host"] = f"{self._target.host}{port}"


def _addresses(host: str, port: int, field: str) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise _unsafe(field, "The URL's host does not resolve.") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]
    if not addresses:
        raise _unsafe(field, "The URL's host does not resolve.")
    return addresses


def _unsafe(field: str, message: str) -> UnsafeUrl:
    return UnsafeUrl(message, errors={field: [message]})
