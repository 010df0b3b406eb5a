"""Workspace ids and counts on moto (leadgate.workspace.ids, .counts): allocation is atomic, counts are exact and
move with the transaction that carries them."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from leadgate.workspace import counts, ids, keys


def test_ids_are_allocated_per_tenant_and_kind_without_gaps(aws):
    assert [ids.allocate_one("acme", keys.PIPELINE) for _ in range(3)] == [1, 2, 3]
    assert ids.allocate_one("acme", keys.STAGE) == 1
    assert ids.allocate_one("other", keys.PIPELINE) == 1
    assert list(ids.allocate("acme", keys.STAGE, 6)) == [2, 3, 4, 5, 6, 7]


def test_concurrent_allocations_never_share_an_id(aws):
    with ThreadPoolExecutor(8) as pool:
        allocated = list(pool.map(lambda _: ids.allocate_one("acme", keys.TAG), range(32)))
    assert sorted(allocated) == list(range(1, 33))


def _commit(entries):
    boto3.client("dynamodb").transact_write_items(TransactItems=entries)


def test_counts_sum_the_shards_and_ignore_other_ids_kinds_and_tenants(aws):
    for _ in range(25):
        _commit([counts.change("acme", keys.STAGE, 3, 1)])
    _commit([counts.change("acme", keys.STAGE, 30, 1), counts.change("acme", keys.USER, 3, 1)])
    _commit([counts.change("other", keys.STAGE, 3, 1)])
    counts.add("acme", keys.STAGE, 3, -5)

    assert counts.count("acme", keys.STAGE, 3) == 20
    assert counts.count("acme", keys.STAGE, 4) == 0
    assert counts.counts("acme", keys.STAGE) == {3: 20, 30: 1}
    assert counts.counts("acme", keys.STAGE, [3, 4]) == {3: 20, 4: 0}
    assert counts.counts("acme", keys.STAGE, []) == {}


def test_moves_change_only_what_a_lead_leaves_and_joins(aws):
    _commit(counts.moves("acme", keys.TAG, [], [1, 2]))
    _commit(counts.moves("acme", keys.TAG, [1, 2], [2, 3]))
    assert counts.moves("acme", keys.TAG, [2, 3], [3, 2]) == []

    assert counts.counts("acme", keys.TAG, [1, 2, 3]) == {1: 0, 2: 1, 3: 1}


def test_a_cancelled_transaction_leaves_the_count_alone(aws):
    client = boto3.client("dynamodb")
    refused = {
        "ConditionCheck": {
            "TableName": aws.tables["WORKSPACE_TABLE"],
            "Key": keys.object_key("acme", keys.STAGE, 1),
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(TransactItems=[counts.change("acme", keys.STAGE, 1, 1), refused])
    assert counts.count("acme", keys.STAGE, 1) == 0


def test_32_concurrent_transactions_into_one_count_stay_exact(aws):
    """Each write would retry on a conflict as the lead repository does; the count must end exact."""
    client = boto3.client("dynamodb")

    def land(_):
        while True:
            try:
                client.transact_write_items(TransactItems=[counts.change("acme", keys.STAGE, 1, 1)])
                return
            except client.exceptions.TransactionCanceledException:
                continue

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(land, range(32)))
    assert counts.count("acme", keys.STAGE, 1) == 32


def test_forget_removes_every_shard(aws):
    for _ in range(12):
        counts.add("acme", keys.STAGE, 5, 1)
    counts.forget("acme", keys.STAGE, 5)
    items = boto3.client("dynamodb").query(
        TableName=aws.tables["WORKSPACE_TABLE"],
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": keys.counts_partition("acme", keys.STAGE)}},
    )["Items"]
    assert items == []
