"""Keys of the outbound webhooks table (docs/access-patterns.md, "Outbound webhooks table"). Pure functions.

- An endpoint: `T#{tenant}` / `EP#{padded id}`; the tenant's endpoint id sequence `SEQ#webhook_endpoint` beside.
- A delivery (one event to one endpoint): `T#{tenant}#EP#{padded id}` / `D#{event id}`, so a redelivery by id is
  one GetItem and a dispatch retried by the stream finds the delivery it made. Index `by_time` (`pk`, `listed` =
  `{occurred_at}#{event id}`) lists an endpoint's deliveries newest first.
- A delivery waiting longer than SQS can delay a message carries `due_shard` and `due_at` (index `by_due`, sparse):
  the sweeper queries what is due each minute and removes them.
"""

from __future__ import annotations

from typing import Any

from leadgate.workspace.keys import padded, partition

ENDPOINT_KIND = "webhook_endpoint"
ENDPOINT_PREFIX = "EP#"
DELIVERY_PREFIX = "D#"
BY_TIME = "by_time"
BY_DUE = "by_due"
DUE_SHARD = "DUE"  # one partition: only waits beyond SQS's 15 minutes land there (a few per failing endpoint)


def endpoint_sk(endpoint_id: int) -> str:
    return f"{ENDPOINT_PREFIX}{padded(endpoint_id)}"


def endpoint_key(tenant_id: str, endpoint_id: int) -> dict[str, Any]:
    return {"pk": {"S": partition(tenant_id)}, "sk": {"S": endpoint_sk(endpoint_id)}}


def deliveries_partition(tenant_id: str, endpoint_id: int) -> str:
    return f"{partition(tenant_id)}#{endpoint_sk(endpoint_id)}"


def delivery_key(tenant_id: str, endpoint_id: int, event_id: str) -> dict[str, Any]:
    return {"pk": {"S": deliveries_partition(tenant_id, endpoint_id)}, "sk": {"S": f"{DELIVERY_PREFIX}{event_id}"}}


def listed(occurred_at: str, event_id: str) -> str:
    return f"{occurred_at}#{event_id}"
