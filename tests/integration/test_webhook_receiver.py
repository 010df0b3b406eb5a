"""POST /webhooks/{connection_id} with real API Gateway events on moto: verify, split, queue, answer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import pytest

from leadgate import aws as leadgate_aws
from tests.support.samples import sample_event
from tests.support.webhooks import (
    admin,
    bodies,
    create,
    delivery_event,
    hubspot_events,
    hubspot_signature,
    queued_messages,
    standard_headers,
    url_of,
)

APP_SECRET = "hubspot-app-secret"


@pytest.fixture
def hubspot(aws):
    return create(
        "hubspot", portal_id="42", app_id="7", client_id="cid", client_secret=APP_SECRET, access_token="pat-1"
    )


def deliver(invoke, connection_id, body: bytes, headers, **kwargs):
    return invoke("webhooks", delivery_event(connection_id, body, headers, **kwargs))


def test_a_signed_hubspot_delivery_is_queued_event_by_event(invoke, hubspot):
    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(*range(101, 113))).encode()  # 12 events: two SendMessageBatch calls

    status, _headers, answer = deliver(
        invoke, connection_id, body, hubspot_signature(APP_SECRET, url_of(connection_id), body)
    )

    assert (status, answer) == (202, {"accepted": 12})
    messages = queued_messages()
    assert sorted(int(event["event_id"]) for event in bodies(messages)) == list(range(1, 13))
    assert {message["MessageAttributes"]["connection_id"]["StringValue"] for message in messages} == {connection_id}
    assert all(event["tenant_id"] == "acme" and event["provider"] == "hubspot" for event in bodies(messages))


def test_the_signed_uri_includes_the_query_string(invoke, hubspot):
    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(5)).encode()
    signed = url_of(connection_id) + "?source=crm&next=https://x.jp/a"

    status, _h, _a = deliver(
        invoke,
        connection_id,
        body,
        hubspot_signature(APP_SECRET, signed, body),
        query="source=crm&next=https%3A%2F%2Fx.jp%2Fa",
    )
    assert status == 202
    status, _h, _a = deliver(
        invoke, connection_id, body, hubspot_signature(APP_SECRET, url_of(connection_id), body), query="source=crm"
    )
    assert status == 401


def test_a_base64_body_is_checked_as_the_bytes_sent(invoke, hubspot):
    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(5), ensure_ascii=False, indent=1).encode()
    event = delivery_event(connection_id, body, hubspot_signature(APP_SECRET, url_of(connection_id), body))
    event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True

    status, _h, answer = invoke("webhooks", event)

    assert (status, answer) == (202, {"accepted": 1})


def test_unknown_connection_and_bad_signature_get_the_same_401_and_nothing_is_queued(invoke, hubspot):
    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(5)).encode()
    good = hubspot_signature(APP_SECRET, url_of(connection_id), body)
    unknown_id = "con_01KB0000000000000000000000"
    answers = [
        deliver(invoke, connection_id, body, hubspot_signature("wrong", url_of(connection_id), body)),
        deliver(invoke, connection_id, body + b" ", good),  # tampered body
        deliver(invoke, connection_id, body, {}),
        deliver(
            invoke,
            connection_id,
            body,
            hubspot_signature(APP_SECRET, url_of(connection_id), body, int(time.time() * 1000) - 301_000),
        ),
        deliver(invoke, unknown_id, body, hubspot_signature(APP_SECRET, url_of(unknown_id), body)),
        deliver(invoke, "not-a-connection", body, good),
    ]

    assert {status for status, _h, _a in answers} == {401}
    assert all(answer == answers[0][2] for _s, _h, answer in answers)
    assert answers[0][2] == {
        "status": "error",
        "message": "The webhook signature is missing or invalid.",
        "code": "INVALID_SIGNATURE",
        "errors": {},
    }
    assert queued_messages() == []


def test_a_disabled_connection_is_refused(invoke, hubspot):
    from leadgate.connections import registry

    connection_id = hubspot["connection_id"]
    admin().disable(connection_id)
    registry.clear_cache()
    body = json.dumps(hubspot_events(5)).encode()

    status, _h, answer = deliver(
        invoke, connection_id, body, hubspot_signature(APP_SECRET, url_of(connection_id), body)
    )

    assert (status, answer["code"]) == (401, "INVALID_SIGNATURE")


def test_refusals_are_rate_limited_per_connection_and_address(invoke, hubspot):
    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(5)).encode()
    bad = hubspot_signature("wrong", url_of(connection_id), body)

    statuses = [deliver(invoke, connection_id, body, bad)[0] for _ in range(21)]
    status, headers, answer = deliver(invoke, connection_id, body, bad)
    other_address = deliver(invoke, connection_id, body, bad, source_ip="198.51.100.1")[0]

    assert statuses == [401] * 20 + [429]
    assert (status, answer["code"]) == (429, "RATE_LIMITED") and int(headers["Retry-After"]) >= 1
    assert other_address == 401
    # An authentic delivery is still accepted: only refusals are limited.
    good = hubspot_signature(APP_SECRET, url_of(connection_id), body)
    assert deliver(invoke, connection_id, body, good)[0] == 202


def test_malformed_or_oversized_hubspot_deliveries_are_400(invoke, hubspot):
    connection_id = hubspot["connection_id"]
    for body in (b"not json", b"{}", b"[]", json.dumps(hubspot_events(*range(101))).encode(), b'[{"eventId": 1}]'):
        status, _h, answer = deliver(
            invoke, connection_id, body, hubspot_signature(APP_SECRET, url_of(connection_id), body)
        )
        assert status == 400, (body[:40], answer)
    assert queued_messages() == []


def test_queue_failure_is_503_with_retry_after_never_2xx(invoke, hubspot, monkeypatch):
    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(1, 2)).encode()
    headers = hubspot_signature(APP_SECRET, url_of(connection_id), body)
    monkeypatch.setenv("WEBHOOK_QUEUE_URL", "https://sqs.us-east-1.amazonaws.com/123456789012/missing")
    from leadgate.settings import get_settings

    get_settings.cache_clear()
    try:
        status, response_headers, answer = deliver(invoke, connection_id, body, headers)
    finally:
        get_settings.cache_clear()
    assert (status, answer["code"]) == (503, "SERVICE_UNAVAILABLE")
    assert response_headers["Retry-After"] == "30"


def test_a_partially_failed_batch_is_503(invoke, hubspot, monkeypatch):
    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(1, 2)).encode()
    real = leadgate_aws.sqs()

    class HalfQueue:
        def send_message_batch(self, **kwargs):
            answer = real.send_message_batch(QueueUrl=kwargs["QueueUrl"], Entries=kwargs["Entries"][:1])
            return {**answer, "Failed": [{"Id": "1", "SenderFault": False, "Code": "InternalError"}]}

    monkeypatch.setattr(leadgate_aws, "sqs", HalfQueue)
    status, _h, _a = deliver(invoke, connection_id, body, hubspot_signature(APP_SECRET, url_of(connection_id), body))
    assert status == 503


def test_the_accepting_path_writes_nothing_to_dynamodb(invoke, hubspot, monkeypatch):
    from leadgate_dev.bench.metering import metered_dynamodb

    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(1)).encode()
    deliver(invoke, connection_id, body, hubspot_signature(APP_SECRET, url_of(connection_id), body))  # warm
    with metered_dynamodb() as meter:
        status, _h, _a = deliver(
            invoke, connection_id, body, hubspot_signature(APP_SECRET, url_of(connection_id), body)
        )
    assert status == 202
    assert meter.total_calls == 0  # connection and secret come from the caches


def test_intercom_and_standard_webhooks_deliveries(invoke, aws):
    intercom = create("intercom", app_id="app1", client_secret="ic-secret", access_token="tok")
    notification = {
        "type": "notification_event",
        "id": "notif_1",
        "topic": "contact.user.created",
        "app_id": "app1",
        "created_at": int(time.time()),
        "data": {"item": {"type": "contact", "id": "c1", "email": "a@example.jp"}},
    }
    body = json.dumps(notification).encode()
    signature = "sha1=" + hmac.new(b"ic-secret", body, hashlib.sha1).hexdigest()
    assert deliver(invoke, intercom["connection_id"], body, {"X-Hub-Signature": signature})[0] == 202
    assert deliver(invoke, intercom["connection_id"], body, {"X-Hub-Signature": "sha1=00"})[0] == 401

    standard = create("standard")
    body = json.dumps({"type": "lead.created", "data": {"email": "b@example.jp"}}).encode()
    headers = standard_headers(standard["signing_secret"], "msg_1", body)
    assert deliver(invoke, standard["connection_id"], body, headers)[:3:2] == (202, {"accepted": 1})
    assert deliver(invoke, standard["connection_id"], body, {**headers, "webhook-signature": "nocomma"})[0] == 401
    assert sorted(event["event_id"] for event in bodies(queued_messages())) == ["msg_1", "notif_1"]


def test_the_previous_standard_secret_works_during_its_rotation_window(invoke, aws):
    standard = create("standard")
    rotated = admin().rotate_secret(standard["connection_id"])
    body = json.dumps({"type": "lead.updated", "data": {"email": "c@example.jp"}}).encode()
    for number, secret in enumerate((standard["signing_secret"], rotated["signing_secret"])):
        headers = standard_headers(secret, f"msg_{number}", body)
        assert deliver(invoke, standard["connection_id"], body, headers)[0] == 202, number


def test_the_sample_events_are_refused_without_their_connection(invoke, aws):
    for case in ("hubspot_delivery", "standard_lead_created"):
        event = sample_event("webhooks", case)
        assert event["requestContext"]["path"] == "/dev" + event["path"]
        status, _h, answer = invoke("webhooks", event)
        assert (status, answer["code"]) == (401, "INVALID_SIGNATURE")


def test_a_refusal_is_a_401_even_when_the_counter_is_unreachable(invoke, hubspot, monkeypatch):
    from leadgate.ratelimit import webhook_failures

    def unreachable():
        raise ConnectionError("the rate-limit table is unreachable")

    monkeypatch.setattr(webhook_failures, "request_counter", unreachable)
    connection_id = hubspot["connection_id"]
    body = json.dumps(hubspot_events(5)).encode()

    status, _h, answer = deliver(invoke, connection_id, body, hubspot_signature("wrong", url_of(connection_id), body))

    assert (status, answer["code"]) == (401, "INVALID_SIGNATURE")


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"type": "lead.created", "data": {"email": "b@example.jp", "note": "\\ud800"}}', 422),
        (b'{"type": "lead.created", "data": ' + b"[" * 10_000 + b"]" * 10_000 + b"}", 400),
        (b'{"type": "lead.created", "data": {"score": NaN}}', 400),
        (b'{"type": "lead.created", "data": {"bad": "\xff\xfe"}}', 400),
        (b'{"type": "lead.created", "data": {"pad": "' + b"x" * (2 * 1024 * 1024) + b'"}}', 413),
    ],
    ids=["lone-surrogate", "deep", "nan", "not-utf8", "too-large"],
)
def test_a_signed_delivery_still_keeps_the_body_and_text_rules(invoke, aws, body, status):
    standard = create("standard")
    try:
        headers = standard_headers(standard["signing_secret"], "msg_bad", body)
    except UnicodeDecodeError:  # the package signs text only; the body rule refuses these bytes before any check
        headers = {"webhook-id": "msg_bad", "webhook-timestamp": "0", "webhook-signature": "v1,AAAA"}

    answer = deliver(invoke, standard["connection_id"], body, headers)

    assert answer[0] == status, answer[2]
    assert answer[2]["status"] == "error"
    assert queued_messages() == []
