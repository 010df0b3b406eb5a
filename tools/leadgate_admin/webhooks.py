"""`leadgate webhooks ...`: a connection's received events, its dead letters, and their redrive.

- `events`: the ledger (WebhookEventsTable, one Query page per 100 events) merged with the dead-letter queue.
  Status: `queued` (the ledger says `processing` or `retrying`: a worker holds it or SQS will deliver it
  again), `applied`, `ignored` (`stale` too: an older change than the lead has; the ledger status is kept in
  `ledger_status`), `failed` (permanent, not retried), `dead` (in the dead-letter queue). `duplicates`
  counts the deliveries recognised as duplicates of the event. An event still waiting for its first
  attempt has no ledger record yet: SQS cannot be searched by connection without receiving its messages.
- `dead-letters`: peeks at the dead-letter queue: receives every message with a short visibility timeout,
  then makes each visible again (never deletes).
- `redrive`: moves dead letters back to the queue by receive-and-resend (moto lacks StartMessageMoveTask);
  a message is deleted from the dead-letter queue only after its copy was sent.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from leadgate.webhooks import ledger

PEEK_VISIBILITY_SECONDS = 30
MAX_DEAD_LETTERS = 1000
STATUS_OF_LEDGER = {"processing": "queued", "retrying": "queued", "stale": "ignored"}


@dataclass
class WebhookAdmin:
    dynamodb: Any
    sqs: Any
    events_table: str
    queue_url: str
    dead_letter_queue_url: str

    def events(self, connection_id: str) -> list[dict[str, Any]]:
        dead = {letter["event_id"]: letter for letter in self.dead_letters(connection_id) if letter.get("event_id")}
        rows: list[dict[str, Any]] = []
        start = None
        while True:
            records, start = ledger.list_events(
                connection_id, ledger.MAX_LIST_LIMIT, start, dynamodb=self.dynamodb, table=self.events_table
            )
            for record in records:
                row = record.record()
                row["ledger_status"] = record.status
                row["status"] = STATUS_OF_LEDGER.get(record.status, record.status)
                if record.event_id in dead and record.status not in ledger.FINAL_STATUSES:
                    row["status"] = "dead"
                dead.pop(record.event_id, None)
                rows.append(row)
            if start is None:
                break
        # Dead letters the ledger never saw (e.g. the connection's secret was gone before the first claim).
        rows += [{"connection_id": connection_id, "event_id": event_id, "status": "dead"} for event_id in dead]
        return rows

    def dead_letters(self, connection_id: str | None = None) -> list[dict[str, Any]]:
        with self._received(self.dead_letter_queue_url) as messages:
            return [_letter(message) for message in messages if _belongs(message, connection_id)]

    def redrive(self, connection_id: str | None = None) -> dict[str, Any]:
        moved: list[str] = []
        with self._received(self.dead_letter_queue_url) as messages:
            for message in [message for message in messages if _belongs(message, connection_id)]:
                attributes = message.get("MessageAttributes") or {}
                self.sqs.send_message(
                    QueueUrl=self.queue_url,
                    MessageBody=message["Body"],
                    MessageAttributes={
                        name: {key: value[key] for key in ("DataType", "StringValue") if key in value}
                        for name, value in attributes.items()
                    },
                )
                # Sent: only now may the dead letter go (a failed send leaves it where it was).
                self.sqs.delete_message(QueueUrl=self.dead_letter_queue_url, ReceiptHandle=message["ReceiptHandle"])
                messages.remove(message)
                moved.append(_letter(message)["event_id"] or message["MessageId"])
        return {"redriven": len(moved), "event_ids": moved}

    @contextmanager
    def _received(self, queue_url: str) -> Iterator[list[dict[str, Any]]]:
        """Every message of the queue, held invisible meanwhile; those still in the list are released after."""
        messages: list[dict[str, Any]] = []
        seen: set[str] = set()
        try:
            while len(messages) < MAX_DEAD_LETTERS:
                batch = self.sqs.receive_message(
                    QueueUrl=queue_url,
                    MaxNumberOfMessages=10,
                    VisibilityTimeout=PEEK_VISIBILITY_SECONDS,
                    MessageAttributeNames=["All"],
                    AttributeNames=["All"],
                ).get("Messages", [])
                fresh = [message for message in batch if message["MessageId"] not in seen]
                if not fresh:
                    break
                seen.update(message["MessageId"] for message in fresh)
                messages += fresh
            yield messages
        finally:
            for message in messages:
                self.sqs.change_message_visibility(
                    QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
                )


def _belongs(message: dict[str, Any], connection_id: str | None) -> bool:
    if connection_id is None:
        return True
    attribute = (message.get("MessageAttributes") or {}).get("connection_id") or {}
    return attribute.get("StringValue") == connection_id


def _letter(message: dict[str, Any]) -> dict[str, Any]:
    attributes = message.get("MessageAttributes") or {}
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = {}
    body = body if isinstance(body, dict) else {}
    return {
        "message_id": message["MessageId"],
        "connection_id": (attributes.get("connection_id") or {}).get("StringValue"),
        "event_id": (attributes.get("event_id") or {}).get("StringValue"),
        "event_type": body.get("event_type"),
        "received_at": body.get("received_at"),
        "receive_count": int((message.get("Attributes") or {}).get("ApproximateReceiveCount", "0")),
    }
