"""Webhook signatures, computed independently here with hmac and hashlib (and the spec's test vector)."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
import standardwebhooks.webhooks as standard_module

from leadgate.webhooks.signatures import (
    SignatureRejected,
    hubspot_uri,
    verify_hubspot,
    verify_intercom,
    verify_standard,
)

SECRET = "hubspot-app-secret"
BODY = b'[{"eventId":1,"subscriptionType":"contact.creation","objectId":7,"occurredAt":1764493200000}]'
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
URI = "https://abc.execute-api.us-east-1.amazonaws.com/dev/webhooks/con_x"


def v3(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    message = method.encode() + uri.encode() + body + timestamp.encode()
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def millis(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def hubspot_headers(uri=URI, body=BODY, secret=SECRET, at=NOW, case=str.title):
    timestamp = millis(at)
    return {
        case("X-HubSpot-Signature-v3"): v3(secret, "POST", uri, body, timestamp),
        case("X-HubSpot-Request-Timestamp"): timestamp,
    }


def check(headers, *, uri=URI, body=BODY, now=NOW, allow=False):
    verify_hubspot(
        client_secret=SECRET, method="POST", uri=uri, body=body, headers=headers, now=now, allow_unversioned=allow
    )


@pytest.mark.parametrize("case", [str, str.lower, str.upper])
def test_hubspot_v3_passes_in_any_header_case(case):
    check(hubspot_headers(case=case))


def test_hubspot_v3_refuses_a_tampered_body_and_a_wrong_secret():
    with pytest.raises(SignatureRejected):
        check(hubspot_headers(), body=BODY.replace(b"7", b"8"))
    with pytest.raises(SignatureRejected):
        check(hubspot_headers(secret="another-secret"))
    with pytest.raises(SignatureRejected):
        check({})


@pytest.mark.parametrize("offset", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)])
def test_hubspot_v3_refuses_stale_and_future_timestamps(offset):
    with pytest.raises(SignatureRejected):
        check(hubspot_headers(at=NOW + offset))
    check(hubspot_headers(at=NOW + offset / 2))  # within the tolerance either way


def test_hubspot_uri_with_and_without_stage_and_query():
    local = "http://127.0.0.1:3000/webhooks/con_x"
    check(hubspot_headers(uri=local), uri=hubspot_uri(local))
    check(hubspot_headers(uri=URI), uri=hubspot_uri(URI))
    with pytest.raises(SignatureRejected):  # signed with the stage, checked without it
        check(hubspot_headers(uri=URI), uri=URI.replace("/dev", ""))
    # HubSpot decodes %3A %2F ... before signing, and nothing else: `a b` stays %20, `/` and `:` are decoded.
    signed = f"{URI}?next=https://x.jp/a%20b&portal=1"
    assert hubspot_uri(URI, [("next", "https://x.jp/a b"), ("portal", "1")]) == signed
    check(hubspot_headers(uri=signed), uri=hubspot_uri(URI, [("next", "https://x.jp/a b"), ("portal", "1")]))
    with pytest.raises(SignatureRejected):
        check(hubspot_headers(uri=signed), uri=hubspot_uri(URI))


def test_hubspot_v1_and_v2_only_when_allowed():
    v1 = {
        "X-HubSpot-Signature-Version": "v1",
        "X-HubSpot-Signature": hashlib.sha256(SECRET.encode() + BODY).hexdigest(),
    }
    v2_source = SECRET.encode() + b"POST" + URI.encode() + BODY
    v2 = {"x-hubspot-signature-version": "v2", "x-hubspot-signature": hashlib.sha256(v2_source).hexdigest()}
    for headers in (v1, v2):
        with pytest.raises(SignatureRejected):
            check(headers)
        check(headers, allow=True)
    with pytest.raises(SignatureRejected):
        check({**v1, "X-HubSpot-Signature": "0" * 64}, allow=True)


def test_intercom_sha1_in_any_case_and_refusals():
    signature = "sha1=" + hmac.new(b"intercom-secret", BODY, hashlib.sha1).hexdigest()
    verify_intercom(client_secret="intercom-secret", body=BODY, headers={"x-hub-signature": signature})
    verify_intercom(client_secret="intercom-secret", body=BODY, headers={"X-HUB-SIGNATURE": signature})
    for secret, body, headers in [
        ("other", BODY, {"X-Hub-Signature": signature}),
        ("intercom-secret", BODY + b" ", {"X-Hub-Signature": signature}),
        ("intercom-secret", BODY, {}),
    ]:
        with pytest.raises(SignatureRejected):
            verify_intercom(client_secret=secret, body=body, headers=headers)


@pytest.fixture
def at_vector_time(monkeypatch):
    """The package reads the wall clock; move it to the test vector's timestamp."""

    class VectorTime(datetime):
        @classmethod
        def now(cls, tz=None):
            return datetime.fromtimestamp(1614265330, tz)

    monkeypatch.setattr(standard_module, "datetime", VectorTime)


VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR = {
    "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
    "webhook-timestamp": "1614265330",
    "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
VECTOR_BODY = b'{"test": 2432232314}'


def test_standard_webhooks_test_vector(at_vector_time):
    verify_standard(secrets=[VECTOR_SECRET], body=VECTOR_BODY, headers=VECTOR)
    upper = {name.upper(): value for name, value in VECTOR.items()}
    verify_standard(secrets=[VECTOR_SECRET], body=VECTOR_BODY, headers=upper)
    # Rotation: the old secret is still offered beside a new one.
    verify_standard(
        secrets=["whsec_" + base64.b64encode(b"n" * 32).decode(), VECTOR_SECRET], body=VECTOR_BODY, headers=VECTOR
    )


@pytest.mark.parametrize(
    "body, headers",
    [
        (b'{"test": 2432232315}', VECTOR),
        (VECTOR_BODY, {**VECTOR, "webhook-signature": "g0hM9SsE+OTPJTGt"}),  # no comma: a bare ValueError
        (VECTOR_BODY, {**VECTOR, "webhook-signature": "v1,not base64!"}),
        (VECTOR_BODY, {**VECTOR, "webhook-id": "msg_other"}),
        (VECTOR_BODY, {key: value for key, value in VECTOR.items() if key != "webhook-timestamp"}),
        (b"\xff\xfe", VECTOR),
    ],
)
def test_standard_webhooks_refusals(at_vector_time, body, headers):
    with pytest.raises(SignatureRejected):
        verify_standard(secrets=[VECTOR_SECRET], body=body, headers=headers)


def test_standard_webhooks_wrong_secret_and_stale_timestamp(at_vector_time, monkeypatch):
    with pytest.raises(SignatureRejected):
        verify_standard(secrets=["whsec_" + base64.b64encode(b"w" * 32).decode()], body=VECTOR_BODY, headers=VECTOR)
    monkeypatch.undo()  # the real clock: the vector is years old
    with pytest.raises(SignatureRejected):
        verify_standard(secrets=[VECTOR_SECRET], body=VECTOR_BODY, headers=VECTOR)
