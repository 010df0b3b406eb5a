"""Exact lead counts per stage, user and tag that do not become a hot spot (docs/workspace.md, "Counts").

A count is the sum of `SHARDS` counter items (`counts_partition(tenant, kind)`, sort key `{id}#{shard}`). A lead
write changes counts INSIDE its own transaction, one Update per count it moves, each on a shard chosen at random:
the count is exact (it commits or rolls back with the lead), and concurrent writes into one stage meet on the
same counter item only one time in `SHARDS`, so they seldom conflict. Reading sums the shards: ONE Query per id,
or ONE Query for every id of a kind (a tenant's workspace is small: hundreds of stages, thousands of tags).
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Collection, Iterable, Mapping
from typing import Any

from leadgate import aws, dependencies
from leadgate.settings import get_settings
from leadgate.workspace import keys

SHARDS = 10
COUNT = "n"  # the counter attribute of a shard item


def _table() -> str:
    return get_settings().workspace_table


def change(tenant_id: str, kind: str, object_id: int, delta: int, **others: int) -> dict[str, Any]:
    """The TransactWriteItems entry that adds `delta` to a count, on a random shard; `others` add to other
    number attributes of the same shard item (a sub-count, e.g. a user's leads in closed stages), at no extra item."""
    shard = random.randrange(SHARDS)  # noqa: S311 - spreading writes, not a secret
    deltas = {COUNT: delta, **others}
    return {
        "Update": {
            "TableName": _table(),
            "Key": keys.key(keys.counts_partition(tenant_id, kind), keys.count_sk(object_id, shard)),
            "UpdateExpression": "ADD " + ", ".join(f"#a{i} :d{i}" for i in range(len(deltas))),
            "ExpressionAttributeNames": {f"#a{i}": name for i, name in enumerate(deltas)},
            "ExpressionAttributeValues": {f":d{i}": {"N": str(value)} for i, value in enumerate(deltas.values())},
        }
    }


def reshard(entry: dict[str, Any]) -> dict[str, Any]:
    """The same count change (an entry of `change`) on a shard chosen again: for a transaction cancelled only
    because another one was writing the shard it had picked."""
    update = entry["Update"]
    object_id = keys.id_of(update["Key"]["sk"]["S"])
    shard = random.randrange(SHARDS)  # noqa: S311 - spreading writes, not a secret
    return {"Update": {**update, "Key": {**update["Key"], "sk": {"S": keys.count_sk(object_id, shard)}}}}


def moves(tenant_id: str, kind: str, before: Iterable[int], after: Iterable[int]) -> list[dict[str, Any]]:
    """The entries for a lead whose ids of `kind` go from `before` to `after` (a stage, a user, a set of tags):
    -1 on each id it leaves, +1 on each it joins, nothing for the ids it keeps."""
    deltas = Counter({object_id: 1 for object_id in set(after)})
    deltas.subtract({object_id: 1 for object_id in set(before)})
    return [change(tenant_id, kind, object_id, delta) for object_id, delta in sorted(deltas.items()) if delta]


def add(tenant_id: str, kind: str, object_id: int, delta: int) -> None:
    """ONE UpdateItem outside any transaction: for a job that already committed the leads it changed."""
    aws.dynamodb().update_item(**change(tenant_id, kind, object_id, delta)["Update"])


def count(tenant_id: str, kind: str, object_id: int) -> int:
    """ONE Query (strongly consistent): the sum of the id's shards."""
    summed = _summed(
        tenant_id,
        kind,
        "pk = :pk AND begins_with(sk, :prefix)",
        {":prefix": {"S": keys.count_prefix(object_id)}},
    )
    return summed[object_id][COUNT] if object_id in summed else 0


def counts(tenant_id: str, kind: str, object_ids: Collection[int] | None = None) -> dict[int, int]:
    """The counts of `object_ids` (every counted id of the kind if None), zero for ids never counted: ONE Query
    (pages of 1 MB: about 20 000 shard items each) over the ids' range."""
    return {object_id: summed[COUNT] for object_id, summed in totals(tenant_id, kind, object_ids).items()}


def totals(tenant_id: str, kind: str, object_ids: Collection[int] | None = None) -> dict[int, Counter[str]]:
    """As `counts`, with every number attribute of the shards summed (`COUNT` and the sub-counts `change` adds)."""
    if object_ids is not None and not object_ids:
        return {}
    condition, values = "pk = :pk", {}
    if object_ids is not None:
        condition = "pk = :pk AND sk BETWEEN :low AND :high"
        values = {
            ":low": {"S": keys.count_prefix(min(object_ids))},
            ":high": {"S": keys.count_sk(max(object_ids), SHARDS)},
        }
    summed = _summed(tenant_id, kind, condition, values)
    if object_ids is None:
        return summed
    return {object_id: summed.get(object_id, Counter()) for object_id in object_ids}


def forget(tenant_id: str, kind: str, object_id: int) -> None:
    """Removes an id's shard items (its object is deleted, its count is zero)."""
    pk = keys.counts_partition(tenant_id, kind)
    deletes = [{"DeleteRequest": {"Key": keys.key(pk, keys.count_sk(object_id, shard))}} for shard in range(SHARDS)]
    dependencies.batch_write(aws.dynamodb(), {_table(): deletes})


def _summed(tenant_id: str, kind: str, condition: str, values: Mapping[str, Any]) -> dict[int, Counter[str]]:
    summed: dict[int, Counter[str]] = {}
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": condition,
        "ExpressionAttributeValues": {":pk": {"S": keys.counts_partition(tenant_id, kind)}, **values},
        "ConsistentRead": True,
    }
    while True:
        page = aws.dynamodb().query(**query)
        for item in page.get("Items", []):
            shard = summed.setdefault(keys.id_of(item["sk"]["S"]), Counter({COUNT: 0}))
            shard.update({name: int(value["N"]) for name, value in item.items() if "N" in value})
        if "LastEvaluatedKey" not in page:
            return summed
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
