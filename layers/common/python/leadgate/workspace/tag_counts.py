"""Exact lead counts per tag that cost a lead write ONE transaction item however many tags it changes.

The foundation's counts (`leadgate.workspace.counts`) move one item per count: fine for a lead's one stage and
one user, not for its tags. A lead holds up to 50 tags and a transaction at most 100 items: deleting a lead
with 50 tags already takes the lead, its 50 TAG# items and its identities and search tokens, so 50 more
count items do not fit (nor does creating a lead with 50 tags). So a tenant's tag counts live in `SHARDS`
items (`T#{tenant}#TAGCOUNTS`, sort key `{shard:02d}`), one number attribute per tag id: a lead write adds
ONE Update (`ADD` one attribute per tag it adds or removes) on a shard chosen at random. Exact (it commits
with the lead), and no hotter than a stage's count: two concurrent writes meet on a shard one time in
`SHARDS`. The whole catalog's counts are ONE Query of `SHARDS` items (a few bytes per tag: 10,000 tags make
10 items of about 100 KB).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

from leadgate import aws
from leadgate.settings import get_settings
from leadgate.workspace import keys

SHARDS = 10


def _table() -> str:
    return get_settings().workspace_table


def _partition(tenant_id: str) -> str:
    return f"{keys.partition(tenant_id)}#TAGCOUNTS"


def change(tenant_id: str, deltas: Mapping[int, int]) -> dict[str, Any]:
    """The TransactWriteItems entry that adds each delta to its tag's count, on one random shard."""
    shard = random.randrange(SHARDS)  # noqa: S311 - spreading writes, not a secret
    moved = sorted((tag_id, delta) for tag_id, delta in deltas.items() if delta)
    return {
        "Update": {
            "TableName": _table(),
            "Key": keys.key(_partition(tenant_id), f"{shard:02d}"),
            "UpdateExpression": "ADD " + ", ".join(f"#t{tag_id} :t{tag_id}" for tag_id, _ in moved),
            "ExpressionAttributeNames": {f"#t{tag_id}": str(tag_id) for tag_id, _ in moved},
            "ExpressionAttributeValues": {f":t{tag_id}": {"N": str(delta)} for tag_id, delta in moved},
        }
    }


def moves(tenant_id: str, before: Iterable[int], after: Iterable[int]) -> list[dict[str, Any]]:
    """The entry (none when nothing moves) for a lead whose tag ids go from `before` to `after`."""
    deltas = Counter(set(after))
    deltas.subtract(set(before))
    moved = {tag_id: delta for tag_id, delta in deltas.items() if delta}
    return [change(tenant_id, moved)] if moved else []


def add(tenant_id: str, deltas: Mapping[int, int]) -> None:
    """ONE UpdateItem outside any transaction."""
    if any(deltas.values()):
        aws.dynamodb().update_item(**change(tenant_id, deltas)["Update"])


def counts(tenant_id: str) -> dict[int, int]:
    """Every tag's count: ONE Query (strongly consistent) of the shards."""
    totals: Counter[int] = Counter()
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": _partition(tenant_id)}},
        "ConsistentRead": True,
    }
    while True:
        page = aws.dynamodb().query(**query)
        for item in page.get("Items", []):
            totals.update({int(name): int(value["N"]) for name, value in item.items() if name.isdigit()})
        if "LastEvaluatedKey" not in page:
            return dict(totals)
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def count(tenant_id: str, tag_id: int) -> int:
    return counts(tenant_id).get(tag_id, 0)


def forget(tenant_id: str, tag_id: int) -> None:
    """A deleted tag's count leaves every shard (ONE UpdateItem per shard)."""
    for shard in range(SHARDS):
        aws.dynamodb().update_item(
            TableName=_table(),
            Key=keys.key(_partition(tenant_id), f"{shard:02d}"),
            UpdateExpression="REMOVE #tag",
            ExpressionAttributeNames={"#tag": str(tag_id)},
        )
