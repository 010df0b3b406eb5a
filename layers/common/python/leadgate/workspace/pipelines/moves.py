"""A pipeline's recent stage moves, by time: what `GET /api/v1/pipelines/{id}/stats` reads (docs/workspace.md,
"Stage history and stats").

Each move of a lead OUT of a stage (with a known entry time) is one small item in the pipeline's own partition
(`T#{tenant}#MOVES#{pipeline}`), sorted by when the lead left (`{left_at}#{lead}#{version}`), holding the stage
left and the seconds spent in it. It is written in the lead write's own transaction (leadgate.leads.stage_history)
and expires (TTL) once it is older than the stats window, so the stats read exactly the window's moves with ONE
Query range, never a Scan, and the partition holds no more than the window's moves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from leadgate import aws
from leadgate.leads.records import iso
from leadgate.settings import get_settings
from leadgate.workspace import items, keys

WINDOW = timedelta(days=90)
KEPT = WINDOW + timedelta(days=1)  # TTL deletes within a day or two; the stats' range excludes older items anyway


@dataclass(frozen=True)
class Move:
    stage_id: int
    seconds: float


def _table() -> str:
    return get_settings().workspace_table


def left_entry(
    tenant_id: str, pipeline_id: int, stage_id: int, *, entered_at: str, left_at: str, lead_id: str, version: int
) -> dict[str, Any]:
    """The TransactWriteItems entry recording that a lead left `stage_id` at `left_at` (ISO 8601 UTC)."""
    left = datetime.fromisoformat(left_at)
    seconds = max(0.0, (left - datetime.fromisoformat(entered_at)).total_seconds())
    item = {
        "pk": keys.moves_partition(tenant_id, pipeline_id),
        "sk": f"{left_at}#{lead_id}#{version:010d}",
        "stage_id": stage_id,
        "seconds": Decimal(str(round(seconds, 3))),  # lead times are to the millisecond
        "expires_at": int((left + KEPT).timestamp()),
    }
    return {"Put": {"TableName": _table(), "Item": items.to_item(item)}}


def since(tenant_id: str, pipeline_id: int, start: datetime, *, limit: int) -> tuple[list[Move], bool]:
    """The pipeline's moves out of a stage after `start`, newest first, at most `limit`; and whether there were
    more (then these are the newest `limit`). Query pages of 1 MB (about 7,500 of these items each)."""
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND sk > :start",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.moves_partition(tenant_id, pipeline_id)},
            ":start": {"S": iso(start)},  # the form of `left_at` (a lead's times), so the keys compare in time
        },
        "ProjectionExpression": "stage_id, seconds",
        "ScanIndexForward": False,
        "Limit": limit + 1,  # one more tells whether the window holds more than the cap
    }
    found: list[Move] = []
    while True:
        page = aws.dynamodb().query(**query)
        found += [Move(int(item["stage_id"]), float(item["seconds"])) for item in map(items.plain, page["Items"])]
        if len(found) > limit:
            return found[:limit], True
        if "LastEvaluatedKey" not in page:
            return found, False
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        query["Limit"] = limit + 1 - len(found)
