"""Outbound delivery through the handlers with real events: the dispatcher on DynamoDB stream records built
from `Event`s, the sender on the deliveries queue's SQS messages, the sweeper on its schedule; a loopback
receiver verifies every delivery with `standardwebhooks` as a customer would."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from leadgate.aws import reset_clients
from leadgate.clock import iso as clock_iso
from leadgate.events.model import Event
from leadgate.outbound import deliveries, endpoints, schedule, sender
from leadgate_dev.harness import authorizer_context, handle
from leadgate_dev.harness.events import rest_event
from tests.support.outbound import Receiver, lead_event, queued, stream_event


@pytest.fixture
def api(aws, invoke, monkeypatch):
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "true")
    monkeypatch.setenv("LEADGATE_LOCAL_DELAY_SCALE", "0")  # retries queued at once: the mechanism, not the wait
    reset_clients()

    def _call(method, path, body=None, *, tenant="acme", query=None):
        authorizer = authorizer_context(tenant=tenant, scopes=("write:webhooks",))
        event = rest_event(method, path, body=body, query=query, authorizer=authorizer)
        return invoke("webhook_endpoints", event)

    return _call


def _endpoint(api, url, **fields):
    status, _, body = api("POST", "/api/v1/webhook-endpoints", {"url": url, **fields})
    assert status == 201, body
    return body["data"]


def _send_queued():
    """One sender invocation on what the queue holds; returns the batch response."""
    event = queued()
    return handle("webhook_sender", event) if event["Records"] else {"batchItemFailures": []}


def _log(api, endpoint_id, **query):
    status, _, body = api("GET", f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", query=query or None)
    assert status == 200, body
    return body["data"]


def test_an_event_reaches_the_endpoints_that_want_it_signed_and_verifiable(api):
    event = lead_event()
    with Receiver() as receiver, Receiver() as other:
        wanted = _endpoint(api, receiver.url, event_types=["lead.*"])
        _endpoint(api, other.url, event_types=["form.submitted"])
        assert handle("webhook_dispatcher", stream_event([event])) == {"batchItemFailures": []}
        assert _send_queued() == {"batchItemFailures": []}
        assert other.received == []
        (got,) = receiver.received
    payload = Webhook(wanted["secret"]).verify(got.body, got.headers)
    assert got.headers["webhook-id"] == event.id
    assert payload["type"] == "lead.created" and payload["timestamp"] == event.occurred_at
    assert payload["data"] == event.data and payload["sequence"] == 1 and payload["lead_id"] == "L1"
    (logged,) = _log(api, wanted["id"])
    assert logged["id"] == event.id and logged["status"] == "succeeded"
    (attempt,) = logged["attempts"]
    assert attempt["status_code"] == 200 and attempt["response"] == '{"ok": true}' and attempt["error"] is None


def test_a_stream_record_dispatched_twice_makes_one_delivery(api):
    event = lead_event()
    with Receiver() as receiver:
        created = _endpoint(api, receiver.url)
        handle("webhook_dispatcher", stream_event([event]))
        handle("webhook_dispatcher", stream_event([event]))
        _send_queued()
        _send_queued()
        assert len(receiver.received) == 1
    assert len(_log(api, created["id"])) == 1


def test_fails_twice_then_succeeds_on_the_third_attempt_with_three_attempts_logged(api):
    event = lead_event()
    with Receiver(statuses=[500, 503]) as receiver:
        created = _endpoint(api, receiver.url)
        handle("webhook_dispatcher", stream_event([event]))
        for _ in range(3):
            assert _send_queued() == {"batchItemFailures": []}
        assert [got.headers["webhook-id"] for got in receiver.received] == [event.id] * 3
        for got in receiver.received:
            Webhook(created["secret"]).verify(got.body, got.headers)
    (logged,) = _log(api, created["id"])
    assert logged["status"] == "succeeded"
    assert [attempt["status_code"] for attempt in logged["attempts"]] == [500, 503, 200]
    assert logged["attempts"][0]["error"] == "HTTP 500"


def test_a_4xx_other_than_429_fails_without_retry_and_410_disables_the_endpoint(api):
    with Receiver(statuses=[400]) as bad, Receiver(statuses=[410]) as gone:
        refused = _endpoint(api, bad.url)
        unsubscribed = _endpoint(api, gone.url)
        handle("webhook_dispatcher", stream_event([lead_event()]))
        _send_queued()
        assert _send_queued() == {"batchItemFailures": []}  # nothing was queued again
        assert (len(bad.received), len(gone.received)) == (1, 1)
    assert _log(api, refused["id"])[0]["status"] == "failed"
    assert _log(api, refused["id"], status="failed")[0]["attempts"][0]["status_code"] == 400
    _, _, body = api("GET", f"/api/v1/webhook-endpoints/{unsubscribed['id']}")
    assert body["data"]["active"] is False and "410" in body["data"]["disabled_reason"]


def _journal(invoke, event_type="webhook_endpoint.disabled"):
    authorizer = authorizer_context(tenant="acme", scopes=("read:events",))
    status, _, body = invoke(
        "events", rest_event("GET", "/api/v1/events", query={"type": event_type}, authorizer=authorizer)
    )
    assert status == 200, body
    return body["data"]


def test_an_endpoint_disabled_by_410_journals_webhook_endpoint_disabled_once(api, invoke):
    with Receiver(statuses=[410, 410]) as gone, Receiver() as watcher:
        unsubscribed = _endpoint(api, gone.url)
        watching = _endpoint(api, watcher.url, event_types=["webhook_endpoint.*"])
        handle("webhook_dispatcher", stream_event([lead_event(lead_id="L1"), lead_event(lead_id="L2")]))
        assert _send_queued() == {"batchItemFailures": []}  # both 410, concurrently: one disablement
        assert len(gone.received) == 2
        (journaled,) = _journal(invoke)
        assert journaled["type"] == "webhook_endpoint.disabled" and journaled["actor"] == "system"
        _, _, shown = api("GET", f"/api/v1/webhook-endpoints/{unsubscribed['id']}")
        # Both attempts journal the same event id; its `updated_at` is the attempt's that journaled it first.
        same = {name: value for name, value in shown["data"].items() if name != "updated_at"}
        assert {name: journaled["data"][name] for name in same} == same
        assert "410" in journaled["data"]["disabled_reason"]
        # The event goes out like any other (the journal's stream -> the dispatcher) to those who want it.
        handle("webhook_dispatcher", stream_event([Event.model_validate(journaled)]))
        _send_queued()
        (got,) = watcher.received
    payload = Webhook(watching["secret"]).verify(got.body, got.headers)
    assert payload["type"] == "webhook_endpoint.disabled" and payload["data"]["id"] == unsubscribed["id"]
    assert _log(api, unsubscribed["id"], event_type="webhook_endpoint.disabled")[0]["status"] == "paused"


def test_the_schedule_and_retry_after():
    assert schedule.SCHEDULE == (0, 5, 300, 1800, 7200, 18000, 36000, 36000)
    assert schedule.next_wait(1) == 5 and schedule.next_wait(2, retry_after=60) == 300
    assert schedule.next_wait(1, retry_after=120) == 120 and schedule.next_wait(8) is None
    assert schedule.sqs_delay(300) == 300 and schedule.sqs_delay(1800) is None


def test_a_wait_beyond_sqs_is_parked_and_the_sweeper_queues_it_when_due(api, monkeypatch, clock):
    monkeypatch.setenv("LEADGATE_LOCAL_DELAY_SCALE", "1")
    reset_clients()
    event = lead_event()
    with Receiver(statuses=[500, 500, 500]) as receiver:
        created = _endpoint(api, receiver.url)
        handle("webhook_dispatcher", stream_event([event]))
        _send_queued()  # attempt 1 fails: 5 s, on the message's DelaySeconds
        delivery = deliveries.get("acme", created["id"], event.id)
        assert (delivery.status, delivery.tries) == ("pending", 1)
        # As if attempts 2 and 3 had failed too: attempt 4's failure waits 2 h, beyond SQS.
        deliveries.record_attempt(delivery, {"skipped": True}, status="pending", tries=3, next_attempt_at=None)
        sender.deliver("acme", created["id"], event.id)
        parked = deliveries.get("acme", created["id"], event.id)
        assert parked.tries == 4 and parked.next_attempt_at == clock_iso(clock.now + 7200)
        queued()  # drop attempt 2's delayed message: only the sweeper's counts here
        assert handle("webhook_sweeper", {"source": "aws.events"}) == {"queued": 0}
        clock.now += 7200
        assert handle("webhook_sweeper", {"source": "aws.events"}) == {"queued": 1}
        assert handle("webhook_sweeper", {"source": "aws.events"}) == {"queued": 0}
        assert _send_queued() == {"batchItemFailures": []}
        assert len(receiver.received) == 3


def test_failing_every_attempt_for_five_days_disables_the_endpoint(api, invoke, clock):
    with Receiver(statuses=[500, 500]) as receiver:
        created = _endpoint(api, receiver.url)
        handle("webhook_dispatcher", stream_event([lead_event()]))
        _send_queued()
        clock.now += (schedule.DISABLE_AFTER + timedelta(minutes=1)).total_seconds()
        handle("webhook_dispatcher", stream_event([lead_event()]))
        _send_queued()
    found = endpoints.get("acme", created["id"])
    assert found.active is False and "5 days" in found.disabled_reason
    (journaled,) = _journal(invoke)
    assert journaled["data"]["id"] == created["id"] and journaled["data"]["disabled_reason"] == found.disabled_reason


def test_a_users_pause_is_not_overwritten_by_a_disablement(api):
    with Receiver() as receiver:
        created = _endpoint(api, receiver.url)
    read = endpoints.get("acme", created["id"])
    assert api("PATCH", f"/api/v1/webhook-endpoints/{created['id']}", {"active": False})[0] == 200
    assert endpoints.disable(read, "The endpoint answered 410 Gone.", read.updated_at) is False
    assert endpoints.get("acme", created["id"]).disabled_reason is None


def test_a_hanging_endpoint_does_not_delay_a_healthy_one(api):
    with Receiver(hang=2.0) as hanging, Receiver() as healthy:
        for _ in range(7):  # more than asyncio's default pool has threads on a small machine
            _endpoint(api, hanging.url)
        _endpoint(api, healthy.url)
        handle("webhook_dispatcher", stream_event([lead_event()]))
        started = time.time()
        assert _send_queued() == {"batchItemFailures": []}
        assert time.time() - started >= 2.0  # the batch waited for the hanging one...
        assert healthy.received[0].at - started < 1.0  # ...but the healthy one had its delivery at once
        assert len(hanging.received) == 7 and len(healthy.received) == 1


def test_redelivery_and_recovery_resend_with_the_same_webhook_id(api):
    first, second = lead_event(lead_id="L1"), lead_event(lead_id="L2")
    with Receiver(statuses=[400, 400]) as receiver:
        created = _endpoint(api, receiver.url)
        handle("webhook_dispatcher", stream_event([first, second]))
        _send_queued()
        assert {d["status"] for d in _log(api, created["id"])} == {"failed"}
        status, _, body = api("POST", f"/api/v1/webhook-endpoints/{created['id']}/deliveries/{first.id}/retry")
        assert status == 202 and body["data"]["status"] == "pending"
        assert api("POST", f"/api/v1/webhook-endpoints/{created['id']}/deliveries/{first.id}/retry")[0] == 409
        _send_queued()
        status, _, body = api(
            "POST", f"/api/v1/webhook-endpoints/{created['id']}/recover", {"since": "2020-01-01T00:00:00Z"}
        )
        assert status == 202 and body["data"]["status"] == "queued"
        _send_queued()  # the recovery job's page
        _send_queued()  # the delivery it released
        ids = [got.headers["webhook-id"] for got in receiver.received]
    assert sorted(ids) == sorted([first.id, second.id, first.id, second.id])
    manual = next(d for d in _log(api, created["id"]) if d["id"] == first.id)
    assert [a["trigger"] for a in manual["attempts"]] == ["scheduled", "manual"]
    assert api("POST", f"/api/v1/webhook-endpoints/{created['id']}/deliveries/evt_nope/retry")[0] == 404
    assert api("POST", f"/api/v1/webhook-endpoints/{created['id']}/deliveries/{'x' * 1500}/retry")[0] == 404


def test_a_paused_endpoint_keeps_its_deliveries_and_sends_them_when_resumed(api):
    event = lead_event()
    with Receiver() as receiver:
        created = _endpoint(api, receiver.url, active=False)
        handle("webhook_dispatcher", stream_event([event]))
        assert _log(api, created["id"])[0]["status"] == "paused"
        _send_queued()
        assert receiver.received == []
        status, _, _ = api("PATCH", f"/api/v1/webhook-endpoints/{created['id']}", {"active": True})
        assert status == 200
        _send_queued()  # the resumption's page
        _send_queued()
        assert [got.headers["webhook-id"] for got in receiver.received] == [event.id]
    assert [a["trigger"] for a in _log(api, created["id"])[0]["attempts"]] == ["resumed"]


def test_an_unsafe_address_at_send_time_fails_without_calling(api, monkeypatch):
    with Receiver() as receiver:
        created = _endpoint(api, receiver.url)
        monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "false")
        reset_clients()
        handle("webhook_dispatcher", stream_event([lead_event()]))
        _send_queued()
        assert receiver.received == []
    (logged,) = _log(api, created["id"])
    assert logged["status"] == "failed" and logged["attempts"][0]["error"].startswith("unsafe address")


def test_the_log_filters_and_pages(api):
    with Receiver(statuses=[400]) as receiver:
        created = _endpoint(api, receiver.url)
        handle("webhook_dispatcher", stream_event([lead_event(event_type="lead.updated"), lead_event(), lead_event()]))
        _send_queued()
    assert len(_log(api, created["id"], status="failed")) == 1
    assert len(_log(api, created["id"], event_type="lead.updated")) == 1
    status, _, page = api("GET", f"/api/v1/webhook-endpoints/{created['id']}/deliveries", query={"per_page": "2"})
    assert status == 200 and len(page["data"]) == 2 and page["links"]["next"]
    cursor = page["meta"]["next_cursor"]
    path = f"/api/v1/webhook-endpoints/{created['id']}/deliveries"
    status, _, rest = api("GET", path, query={"per_page": "2", "cursor": cursor})
    assert status == 200 and len(rest["data"]) == 1
    assert api("GET", path, query={"cursor": "xyz"})[0] == 400
    assert json.dumps(page).count("secret") == 0


def test_an_endpoints_rate_limit_holds_deliveries_over_it_for_a_second(api, clock):
    with Receiver() as receiver:
        created = _endpoint(api, receiver.url, rate_limit=2)
        handle("webhook_dispatcher", stream_event([lead_event(lead_id=f"L{n}") for n in range(3)]))
        _send_queued()  # the clock stands still: one second, room for two
        assert len(receiver.received) == 2
        clock.now += 1
        held = deliveries.page("acme", created["id"], deliveries.DeliveryListParams(status="pending"))
        assert len(held.records) == 1 and held.records[0]["attempts"] == []


def test_a_recovery_pages_through_every_failed_delivery(api, monkeypatch):
    monkeypatch.setattr(deliveries, "RELEASE_PAGE", 2)
    events = [lead_event(lead_id=f"L{n}") for n in range(5)]
    with Receiver(statuses=[400] * 5) as receiver:
        created = _endpoint(api, receiver.url)
        handle("webhook_dispatcher", stream_event(events))
        _send_queued()
        assert api("POST", f"/api/v1/webhook-endpoints/{created['id']}/recover", {})[0] == 202
        for _ in range(8):  # pages of 2 (each queues the next) and the deliveries they release
            _send_queued()
        resent = [got.headers["webhook-id"] for got in receiver.received[5:]]
    assert sorted(resent) == sorted(event.id for event in events)
    assert {delivery["status"] for delivery in _log(api, created["id"])} == {"succeeded"}
