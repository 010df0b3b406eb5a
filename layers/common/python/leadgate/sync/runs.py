"""Run records and checkpoints, beside the lease in the connection's item collection of the sync table.

- A run the API starts is recorded `queued` first (`POST /api/v1/integrations/{id}/sync`), under the id the run
  then takes.
- A run record is written when the run starts (`running`) and replaced when it ends with its status:
  `succeeded` (every change available was applied), `partial` (the budget ran out with more to fetch, or
  some records failed), `failed` (the provider or the run failed; `error` says why) or `skipped` (another
  run held the lease). A run killed mid-way (the function's timeout) stays `running`; its lease expires and
  the next run carries on from its last checkpoint.
- Counts: fetched = created + matched + updated + unchanged + failed (pulled records); `pushed` counts
  leads sent to the provider.
- Listing is ONE Query of `RUN#` items, descending (run ids are ULIDs), `limit` + cursor: never a Scan.
  Records expire after `RUN_RETENTION_DAYS` (TTL).
- Checkpoints, one per direction (`pull`, `push`), are saved in ONE transaction with the lease's renewal,
  so only the lease's owner moves them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from leadgate import aws, cursors
from leadgate.sync import keys
from leadgate.sync.connector import Checkpoint
from leadgate.sync.lease import Lease, LeaseLost

RUN_RETENTION_DAYS = 90
MAX_LIST_LIMIT = 100

UNAUTHORIZED = "Unauthorized"  # how a failed run's error starts when the provider refused the credentials

Status = Literal["queued", "running", "succeeded", "partial", "failed", "skipped"]


@dataclass
class Counts:
    fetched: int = 0
    created: int = 0
    matched: int = 0
    updated: int = 0
    unchanged: int = 0
    pushed: int = 0
    failed: int = 0

    def add(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def balanced(self) -> bool:
        """Every fetched record is accounted for exactly once."""
        return self.fetched == self.created + self.matched + self.updated + self.unchanged + self.failed


@dataclass(frozen=True)
class RunRecord:
    run_id: str
    tenant_id: str
    connection_id: str
    provider: str
    status: Status
    started_at: str
    finished_at: str | None = None
    counts: Counts = field(default_factory=Counts)
    pages: int = 0
    more_pending: bool = False  # stopped at its budget with more to fetch: a continuation can carry on now
    error: str | None = None

    def finished(self, status: Status, at: float, **changes: Any) -> RunRecord:
        return replace(self, status=status, finished_at=iso(at), **changes)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def iso(moment: float) -> str:
    return datetime.fromtimestamp(moment, UTC).isoformat()


def put_run(record: RunRecord, *, now: float) -> None:
    item = keys.key(record.tenant_id, record.connection_id, keys.run_sk(record.run_id)) | {
        "record": {"S": json.dumps(record.to_json(), ensure_ascii=False)},
        "status": {"S": record.status},
        "expires_at": {"N": str(int(now) + RUN_RETENTION_DAYS * 86_400)},
    }
    aws.dynamodb().put_item(TableName=keys.table(), Item=item)


def list_runs(
    tenant_id: str, connection_id: str, *, limit: int = 20, cursor: str | None = None
) -> tuple[list[RunRecord], str | None]:
    """Newest first; the cursor (or None after the last page) continues after the last run returned."""
    limit = max(1, min(limit, MAX_LIST_LIMIT))
    params: dict[str, Any] = {
        "TableName": keys.table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :runs)",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.partition(tenant_id, connection_id)},
            ":runs": {"S": keys.RUN_PREFIX},
        },
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if cursor:
        params["ExclusiveStartKey"] = keys.key(tenant_id, connection_id, _decode_cursor(cursor))
    page = aws.dynamodb().query(**params)
    runs = [_run(item) for item in page.get("Items", [])]
    last = page.get("LastEvaluatedKey")
    return runs, cursors.encode({"sk": last["sk"]["S"]}) if last else None


def load_checkpoint(tenant_id: str, connection_id: str, direction: str) -> Checkpoint | None:
    key = keys.key(tenant_id, connection_id, keys.checkpoint_sk(direction))
    item = aws.dynamodb().get_item(TableName=keys.table(), Key=key, ConsistentRead=True).get("Item")
    return json.loads(item["checkpoint"]["S"]) if item else None


def save_checkpoint(lease: Lease, direction: str, checkpoint: Checkpoint, *, now: float) -> None:
    """The checkpoint and the lease's renewal in ONE transaction: LeaseLost if the lease is no longer ours."""
    item = keys.key(lease.tenant_id, lease.connection_id, keys.checkpoint_sk(direction)) | {
        "checkpoint": {"S": json.dumps(dict(checkpoint), sort_keys=True)},
        "saved_at": {"S": iso(now)},
        "run_id": {"S": lease.owner},
    }
    try:
        aws.dynamodb().transact_write_items(
            TransactItems=[lease.renewal(now), {"Put": {"TableName": keys.table(), "Item": item}}]
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "TransactionCanceledException":
            raise LeaseLost(f"run {lease.owner} no longer holds the lease of {lease.connection_id}") from exc
        raise


def _run(item: Mapping[str, Any]) -> RunRecord:
    raw = json.loads(item["record"]["S"])
    return RunRecord(**(raw | {"counts": Counts(**raw["counts"])}))


def _decode_cursor(raw: str) -> str:
    sk = cursors.decode(raw).get("sk")
    if not isinstance(sk, str) or not sk.startswith(keys.RUN_PREFIX):
        raise cursors.invalid("It does not point into this connection's runs.")
    return sk
