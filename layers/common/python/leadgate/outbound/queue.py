"""Messages of the deliveries queue (a standard SQS queue; the sender consumes it).

- `deliver`: try one delivery now (or after `DelaySeconds`). The message names the delivery only; the sender
  reads it, so a duplicate message or a delivery that already succeeded costs one GetItem and sends nothing.
- `release`: make an endpoint's deliveries in some statuses `pending` again and queue them, a page at a time
  (recovery after an outage, an endpoint resumed); each page queues the next.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from leadgate import aws
from leadgate.settings import get_settings

BATCH = 10  # SendMessageBatch's limit


def deliver_message(tenant_id: str, endpoint_id: int, event_id: str, trigger: str = "scheduled") -> str:
    """`trigger` is logged with the attempt: `scheduled` (dispatch and retries), `manual`, `recovery`, `resumed`."""
    return json.dumps(
        {"kind": "deliver", "tenant": tenant_id, "endpoint_id": endpoint_id, "event_id": event_id, "trigger": trigger}
    )


def release_message(
    tenant_id: str,
    endpoint_id: int,
    statuses: Sequence[str],
    *,
    since: str | None,
    trigger: str,
    start: dict[str, Any] | None = None,
) -> str:
    return json.dumps(
        {
            "kind": "release",
            "trigger": trigger,
            "tenant": tenant_id,
            "endpoint_id": endpoint_id,
            "statuses": list(statuses),
            "since": since,
            "start": start,
        }
    )


def send(body: str, delay_seconds: int = 0) -> None:
    aws.sqs().send_message(QueueUrl=get_settings().deliveries_queue_url, MessageBody=body, DelaySeconds=delay_seconds)


def send_all(bodies: Sequence[str]) -> None:
    """SendMessageBatch by 10; a message SQS refused raises (the caller's record is retried)."""
    for start in range(0, len(bodies), BATCH):
        chunk = bodies[start : start + BATCH]
        answer = aws.sqs().send_message_batch(
            QueueUrl=get_settings().deliveries_queue_url,
            Entries=[{"Id": str(index), "MessageBody": body} for index, body in enumerate(chunk)],
        )
        if answer.get("Failed"):
            raise RuntimeError(f"SQS refused {len(answer['Failed'])} delivery messages")
