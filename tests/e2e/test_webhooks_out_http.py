"""Outbound webhooks on the local stack, end to end: a lead created over HTTP becomes an event (the leads table's
stream -> the event stream function -> the journal), the dispatcher (the journal's stream) queues a delivery, the
sender (the deliveries queue) POSTs it to a receiver in this test, signed per Standard Webhooks.

The stack runs with `LEADGATE_LOCAL_DELAY_SCALE=0.01` (tests/support/stack.py): the retry waits of 5 s and 5 min
are 0.05 s (SQS's 1 s at least) and 3 s, so the third attempt of a delivery comes about 4 s after the first."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from standardwebhooks import Webhook

pytestmark = pytest.mark.e2e

SCOPES = ("read:events", "read:webhooks", "write:webhooks", "write:leads", "read:leads")


@dataclass
class Received:
    at: float
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1: `answers[path]` says what each request to `path` gets (status, seconds to
    hang first); every request is kept in `received`."""

    answers: dict[str, Callable[[int], tuple[int, float]]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [request for request in self.received if request.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.at(path)) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.at(path)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with state.lock:
                state.received.append(
                    Received(time.monotonic(), self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                )
                number = len([request for request in state.received if request.path == self.path])
            status, hang = state.answers.get(self.path, lambda _n: (200, 0.0))(number)
            time.sleep(hang)
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


class Api:
    def __init__(self, stack, tenant: str) -> None:
        client = stack.admin_json("clients", "create", "--tenant", tenant, "--scopes", *SCOPES)
        self.stack = stack
        self.headers = {"Authorization": f"Bearer {stack.token(client)}"}

    def call(self, method: str, path: str, expected: int, **kwargs: Any) -> dict[str, Any]:
        reply = requests.request(method, self.stack.url(path), headers=self.headers, timeout=10, **kwargs)
        assert reply.status_code == expected, reply.text
        return reply.json() if reply.content else {}

    def endpoint(self, url: str, event_types: list[str] | None = None) -> dict[str, Any]:
        body = {"url": url, "event_types": event_types or ["lead.created"]}
        return self.call("POST", "/api/v1/webhook-endpoints", 201, json=body)["data"]

    def lead(self, first_name: str) -> str:
        created = self.call("POST", "/api/v1/leads", 201, json={"first_name": first_name, "status": "new"})
        return created["data"]["id"]

    def deliveries(self, endpoint_id: int) -> list[dict[str, Any]]:
        return self.call("GET", f"/api/v1/webhook-endpoints/{endpoint_id}/deliveries", 200)["data"]


def wait_until(read: Callable[[], Any], predicate: Callable[[Any], bool], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        answer = read()
        if predicate(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def test_a_receiver_gets_lead_created_signed_within_two_seconds(local_stack, receiver):
    api = Api(local_stack, "wo-signed")
    endpoint = api.endpoint(receiver.url("/hook"))
    assert endpoint["secret"].startswith("whsec_")

    started = time.monotonic()
    lead_id = api.lead("Hana")
    (request,) = receiver.wait_for("/hook", timeout=5)
    assert request.at - started <= 2.0

    payload = Webhook(endpoint["secret"]).verify(request.body, request.headers)
    assert payload["type"] == "lead.created" and payload["data"]["id"] == lead_id
    assert payload["lead_id"] == lead_id and payload["sequence"] == 1
    assert request.headers["webhook-id"] == payload["id"]
    (delivery,) = wait_until(lambda: api.deliveries(endpoint["id"]), lambda found: found[0]["status"] == "succeeded")
    assert delivery["status"] == "succeeded" and delivery["attempts"][0]["status_code"] == 200


def test_a_receiver_failing_twice_gets_the_event_on_the_third_attempt(local_stack, receiver):
    receiver.answers["/flaky"] = lambda number: (503 if number <= 2 else 200, 0.0)
    api = Api(local_stack, "wo-retries")
    endpoint = api.endpoint(receiver.url("/flaky"))

    api.lead("Kenji")
    requests_made = receiver.wait_for("/flaky", count=3, timeout=15)
    assert len(requests_made) == 3
    assert len({request.headers["webhook-id"] for request in requests_made}) == 1
    Webhook(endpoint["secret"]).verify(requests_made[2].body, requests_made[2].headers)
    # 5 min x 0.01 = 3 s between the second and the third attempt.
    assert 2.5 <= requests_made[2].at - requests_made[1].at <= 6

    (delivery,) = wait_until(lambda: api.deliveries(endpoint["id"]), lambda found: found[0]["status"] == "succeeded")
    assert delivery["status"] == "succeeded" and delivery["attempt_count"] == 3
    assert [attempt["status_code"] for attempt in delivery["attempts"]] == [503, 503, 200]
    assert [attempt["error"] for attempt in delivery["attempts"]] == ["HTTP 503", "HTTP 503", None]


def test_410_disables_the_endpoint_and_journals_webhook_endpoint_disabled(local_stack, receiver):
    receiver.answers["/gone"] = lambda _number: (410, 0.0)
    api = Api(local_stack, "wo-gone")
    endpoint = api.endpoint(receiver.url("/gone"))

    api.lead("Aoi")
    assert len(receiver.wait_for("/gone")) == 1
    path = f"/api/v1/webhook-endpoints/{endpoint['id']}"
    disabled = wait_until(lambda: api.call("GET", path, 200)["data"], lambda found: not found["active"])
    assert disabled["active"] is False and "410" in disabled["disabled_reason"]
    (delivery,) = api.deliveries(endpoint["id"])
    assert delivery["status"] == "failed" and delivery["attempt_count"] == 1

    events = wait_until(
        lambda: api.call("GET", "/api/v1/events", 200, params={"type": "webhook_endpoint.*"})["data"], bool
    )
    (event,) = events
    assert event["type"] == "webhook_endpoint.disabled" and event["actor"] == "system"
    assert event["data"]["id"] == endpoint["id"] and event["data"]["disabled_reason"] == disabled["disabled_reason"]

    api.lead("Ren")  # a disabled endpoint keeps its deliveries, paused, and is not called
    time.sleep(1.5)
    assert len(receiver.at("/gone")) == 1


def test_a_hanging_endpoint_does_not_delay_a_healthy_one(local_stack, receiver):
    receiver.answers["/hangs"] = lambda _number: (200, 5.0)
    api = Api(local_stack, "wo-isolation")
    api.endpoint(receiver.url("/hangs"), ["lead.*"])
    api.endpoint(receiver.url("/healthy"), ["lead.updated"])

    lead_id = api.lead("Sora")
    (hanging,) = receiver.wait_for("/hangs", timeout=5)  # lead.created: it will not answer for 5 s
    started = time.monotonic()
    api.call("PATCH", f"/api/v1/leads/{lead_id}", 200, json={"status": "contacted"})
    (healthy,) = receiver.wait_for("/healthy", timeout=5)
    assert healthy.at - started <= 2.0
    assert healthy.at - hanging.at < 5.0  # while the hanging endpoint still held its first delivery
    assert json.loads(healthy.body)["type"] == "lead.updated"


def test_retry_and_recover_resend_with_the_same_webhook_id(local_stack, receiver):
    answer = {"status": 200}
    receiver.answers["/resend"] = lambda _number: (answer["status"], 0.0)
    api = Api(local_stack, "wo-resend")
    endpoint = api.endpoint(receiver.url("/resend"))
    base = f"/api/v1/webhook-endpoints/{endpoint['id']}"

    api.lead("Yui")
    (first,) = receiver.wait_for("/resend")
    (delivery,) = wait_until(lambda: api.deliveries(endpoint["id"]), lambda found: found[0]["status"] == "succeeded")
    retried = api.call("POST", f"{base}/deliveries/{delivery['id']}/retry", 202)["data"]
    assert retried["status"] == "pending"
    second = receiver.wait_for("/resend", count=2)[1]
    assert second.headers["webhook-id"] == first.headers["webhook-id"]
    Webhook(endpoint["secret"]).verify(second.body, second.headers)

    # A 400 fails a delivery at once (not retried); once the receiver is fixed, recover sends it again.
    answer["status"] = 400
    done = wait_until(lambda: api.deliveries(endpoint["id"]), lambda found: found[0]["status"] == "succeeded")
    assert done[0]["status"] == "succeeded"
    since = datetime.now(UTC).isoformat()  # recovery compares with when the events happened
    api.lead("Mio")
    failing = receiver.wait_for("/resend", count=3)[2]
    failed = wait_until(lambda: api.call("GET", f"{base}/deliveries", 200, params={"status": "failed"})["data"], bool)
    assert [delivery["event_id"] for delivery in failed] == [failing.headers["webhook-id"]]
    answer["status"] = 200
    api.call("POST", f"{base}/recover", 202, json={"since": since})
    recovered = receiver.wait_for("/resend", count=4)[3]
    assert recovered.headers["webhook-id"] == failing.headers["webhook-id"]
    assert json.loads(recovered.body)["type"] == "lead.created"
    assert len(receiver.at("/resend")) == 4  # the succeeded delivery was not sent again


def test_the_journal_returns_every_change_once_in_order_per_lead_across_pages(local_stack):
    api = Api(local_stack, "wo-journal")
    leads = [api.lead(name) for name in ("Emi", "Taro")]
    for status in ("contacted", "qualified"):
        for lead_id in leads:
            api.call("PATCH", f"/api/v1/leads/{lead_id}", 200, json={"status": status})
    expected = {"lead.created": 2, "lead.updated": 4}

    def journaled() -> list[dict[str, Any]]:
        return api.call("GET", "/api/v1/events", 200, params={"per_page": 100})["data"]

    wait_until(journaled, lambda found: len(found) == sum(expected.values()))
    time.sleep(5.5)  # oldest-first pages leave out the last 5 s (events still settling)

    read, query = [], {"order": "oldest", "per_page": 2}
    while True:
        page = api.call("GET", "/api/v1/events", 200, params=query)
        if not page["data"]:
            break
        read += page["data"]
        query = {
            "order": "oldest",
            "per_page": 2,
            "cursor": parse_qs(urlsplit(page["links"]["next"]).query)["cursor"][0],
        }
    assert len({event["id"] for event in read}) == len(read)
    assert {kind: sum(event["type"] == kind for event in read) for kind in expected} == expected
    for lead_id in leads:
        of_lead = [event for event in read if event["lead_id"] == lead_id]
        assert [event["sequence"] for event in of_lead] == [1, 2, 3]
        assert [event["type"] for event in of_lead] == ["lead.created", "lead.updated", "lead.updated"]
