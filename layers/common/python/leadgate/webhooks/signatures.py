"""Webhook signatures: is this raw body, exactly as received, signed with the connection's secret?

Each check takes the body as bytes (never a re-serialisation of parsed JSON), header names in any case,
and compares in constant time (`hmac.compare_digest`). A refusal raises `SignatureRejected`, whose reason
is for the logs only: the receiver answers every refusal the same way.

- HubSpot v3: base64 HMAC-SHA256(client secret, method + URI + body + timestamp), timestamp in Unix
  milliseconds, within `TOLERANCE` either way. The URI is the URL HubSpot called, with only the characters
  in `HUBSPOT_DECODED` %-decoded (as HubSpot does before signing). v1 (SHA-256 of secret + body) and v2
  (SHA-256 of secret + method + URI + body) carry no timestamp and can be replayed: accepted only when the
  connection allows them.
- Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1(client secret, body)>`.
- Standard Webhooks: the `standardwebhooks` package, with each secret valid now (rotation overlap).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

TOLERANCE = timedelta(minutes=5)
# The %XX HubSpot decodes in the URI before signing (platform facts); everything else stays encoded.
HUBSPOT_DECODED = ":/?@!$'()*,;"
# Signs nothing real: unknown connections are checked against it so they cost what a bad signature does.
DUMMY_SECRET = "leadgate-dummy-secret-for-unknown-connections"


class SignatureRejected(Exception):
    """The delivery is not authentic (the reason is logged, never answered)."""


def lower_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {name.lower(): value for name, value in (headers or {}).items()}


def hubspot_uri(base: str, query: Sequence[tuple[str, str]] = ()) -> str:
    """The URI as HubSpot signs it: `base` (scheme, host, path) and the query, re-encoded from the decoded
    parameters API Gateway hands over, leaving HubSpot's decoded characters as they are."""
    if not query:
        return base
    encoded = "&".join(
        f"{quote(name, safe=HUBSPOT_DECODED)}={quote(value, safe=HUBSPOT_DECODED)}" for name, value in query
    )
    return f"{base}?{encoded}"


def verify_hubspot(
    *,
    client_secret: str,
    method: str,
    uri: str,
    body: bytes,
    headers: Mapping[str, str],
    now: datetime | None = None,
    allow_unversioned: bool = False,
) -> None:
    headers = lower_headers(headers)
    if "x-hubspot-signature-v3" in headers:
        _verify_hubspot_v3(
            client_secret, method=method, uri=uri, body=body, headers=headers, now=now or datetime.now(UTC)
        )
        return
    version = headers.get("x-hubspot-signature-version", "").lower()
    signature = headers.get("x-hubspot-signature", "")
    if not allow_unversioned or version not in ("v1", "v2") or not signature:
        _burn(client_secret, body)
        raise SignatureRejected("no v3 signature (v1/v2 not allowed or missing)")
    source = client_secret.encode() + (body if version == "v1" else method.upper().encode() + uri.encode() + body)
    if not hmac.compare_digest(hashlib.sha256(source).hexdigest(), signature.strip().lower()):
        raise SignatureRejected(f"{version} signature mismatch")


def _verify_hubspot_v3(
    secret: str, *, method: str, uri: str, body: bytes, headers: Mapping[str, str], now: datetime
) -> None:
    timestamp = headers.get("x-hubspot-request-timestamp", "")
    expected = base64.b64encode(
        hmac.new(
            secret.encode(), method.upper().encode() + uri.encode() + body + timestamp.encode(), hashlib.sha256
        ).digest()
    ).decode()
    if not hmac.compare_digest(expected.encode(), headers["x-hubspot-signature-v3"].strip().encode()):
        raise SignatureRejected("v3 signature mismatch")
    try:
        signed_at = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureRejected("malformed timestamp") from None
    if abs(now - signed_at) > TOLERANCE:
        raise SignatureRejected("timestamp outside the tolerance")


def verify_intercom(*, client_secret: str, body: bytes, headers: Mapping[str, str]) -> None:
    given = lower_headers(headers).get("x-hub-signature", "").strip()
    expected = "sha1=" + hmac.new(client_secret.encode(), body, hashlib.sha1).hexdigest()
    if not hmac.compare_digest(expected.encode(), given.lower().encode()):
        raise SignatureRejected("sha1 signature mismatch")


def verify_standard(*, secrets: Iterable[str], body: bytes, headers: Mapping[str, str]) -> None:
    """Passes when any secret valid now signed the message; the package's tolerance is ±5 minutes."""
    headers = lower_headers(headers)
    secrets = list(secrets) or [DUMMY_SECRET]
    for secret in secrets:
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return
        # The package raises a bare ValueError (or binascii.Error, UnicodeDecodeError) on malformed input.
        except (WebhookVerificationError, ValueError):
            continue
    raise SignatureRejected("no matching Standard Webhooks signature")


def burn(body: bytes) -> None:
    """An HMAC against the dummy secret: a refusal that needs no check still costs one."""
    _burn(DUMMY_SECRET, body)


def _burn(secret: str, body: bytes) -> None:
    hmac.compare_digest(hmac.new(secret.encode(), body, hashlib.sha256).digest(), bytes(32))
