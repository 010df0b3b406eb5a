"""Outbound webhooks in tests: the events table's stream records built from `Event`s, the deliveries queue's
messages as the sender's SQS event, and `Receiver`, a loopback HTTP server standing in for a customer's endpoint."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3

from leadgate import clock
from leadgate.events.model import Event
from leadgate.settings import get_settings
from leadgate_dev.local.event_sources import sqs_event

STREAM_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/local-EventsTable/stream/2026-01-01T00:00:00.000"


def lead_event(tenant: str = "acme", event_type: str = "lead.created", lead_id: str = "L1", sequence: int = 1) -> Event:
    return Event(
        id=f"evt_{uuid.uuid4().hex}",
        type=event_type,
        occurred_at=clock.now().strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
        tenant=tenant,
        actor="client:test",
        lead_id=lead_id,
        sequence=sequence,
        data={"id": lead_id, "first_name": "Sarah"},
    )


def stream_event(events: Iterable[Event]) -> dict[str, Any]:
    """The event Lambda's DynamoDB stream mapping hands the dispatcher: one INSERT per event (NEW_IMAGE)."""
    records = []
    for number, event in enumerate(events, start=1):
        keys = {"pk": {"S": f"T#{event.tenant}"}, "sk": {"S": f"E#{event.occurred_at}#{event.id}"}}
        records.append(
            {
                "eventID": uuid.uuid4().hex,
                "eventName": "INSERT",
                "eventVersion": "1.1",
                "eventSource": "aws:dynamodb",
                "awsRegion": "us-east-1",
                "dynamodb": {
                    "ApproximateCreationDateTime": int(time.time()),
                    "Keys": keys,
                    "NewImage": {**keys, "body": {"S": event.body()}, "type": {"S": event.type}},
                    "SequenceNumber": f"{number:021d}",
                    "SizeBytes": 256,
                    "StreamViewType": "NEW_IMAGE",
                },
                "eventSourceARN": STREAM_ARN,
            }
        )
    return {"Records": records}


def queued(max_messages: int = 10) -> dict[str, Any]:
    """The deliveries queue's visible messages (received, so not visible again), as the sender's SQS event."""
    sqs = boto3.client("sqs", region_name="us-east-1")
    url = get_settings().deliveries_queue_url
    messages: list[dict[str, Any]] = []
    while len(messages) < max_messages:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=min(10, max_messages - len(messages)))
        if not got.get("Messages"):
            break
        messages.extend(got["Messages"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return sqs_event(messages, arn)


@dataclass
class Received:
    headers: dict[str, str]
    body: str
    at: float


@dataclass
class Receiver:
    """A customer's endpoint on 127.0.0.1: answers `statuses` in turn (then 200), after `hang` seconds each."""

    statuses: list[int] = field(default_factory=list)
    hang: float = 0.0
    extra_headers: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)

    def __enter__(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                if receiver.hang:
                    time.sleep(receiver.hang)
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                answer = b'{"ok": true}' if status < 300 else b"nope"
                self.send_response(status)
                for name, value in receiver.extra_headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
