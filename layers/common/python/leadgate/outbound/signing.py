"""What goes on the wire: the payload and the Standard Webhooks headers, signed with the `standardwebhooks`
package (`webhook-id` = the event id, the same on every attempt; `webhook-timestamp` = this attempt's time;
one `v1,` signature per valid secret, space-separated, during a rotation)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from standardwebhooks import Webhook

from leadgate.events.model import Event


def payload(event: Event) -> str:
    """`{"type", "timestamp", "data"}` as Standard Webhooks suggests, plus the event's own fields."""
    document: dict[str, Any] = {"type": event.type, "timestamp": event.occurred_at, "data": event.data}
    document.update(json.loads(event.body()))
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def headers(event_id: str, body: str, secrets: list[str], at: datetime) -> dict[str, str]:
    signatures = [Webhook(secret).sign(event_id, at, body) for secret in secrets]
    return {
        "content-type": "application/json",
        "user-agent": "leadgate-webhooks/1",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": " ".join(signatures),
    }
