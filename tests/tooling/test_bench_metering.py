"""The meter the benchmark reads: calls, items read and items written, in total and per table."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from leadgate.aws import dynamodb
from leadgate_dev.bench.metering import metered_dynamodb


@pytest.fixture
def tables(aws):
    return aws.tables["LEADS_TABLE"], aws.tables["RATE_LIMIT_TABLE"]


def lead_key(sk: str) -> dict:
    return {"PK": {"S": "T#meter"}, "SK": {"S": sk}}


def test_a_missing_key_is_read_like_a_present_one(tables):
    leads, _ = tables
    dynamodb().put_item(TableName=leads, Item=lead_key("LEAD#1"))

    with metered_dynamodb() as meter:
        dynamodb().batch_get_item(RequestItems={leads: {"Keys": [lead_key("LEAD#1"), lead_key("LEAD#2")]}})
        dynamodb().get_item(TableName=leads, Key=lead_key("LEAD#3"))

    assert dict(meter.calls) == {"BatchGetItem": 1, "GetItem": 1}
    assert meter.items_read == 3


def test_a_transaction_over_two_tables_counts_on_each(tables):
    leads, limits = tables
    counter = {"pk": {"S": "client#meter#3600"}, "sk": {"S": "0"}}

    with metered_dynamodb() as meter:
        dynamodb().transact_write_items(
            TransactItems=[
                {"Put": {"TableName": leads, "Item": lead_key("LEAD#1")}},
                {"Put": {"TableName": leads, "Item": lead_key("EMAIL#a@example.com")}},
                {"Put": {"TableName": limits, "Item": counter}},
            ]
        )

    assert meter.items_written == 3
    assert (dict(meter.table(leads).calls), meter.table(leads).items_written) == ({"TransactWriteItems": 1}, 2)
    assert (dict(meter.table(limits).calls), meter.table(limits).items_written) == ({"TransactWriteItems": 1}, 1)
    assert meter.table("no-such-table").total_calls == 0


def test_failed_writes_write_nothing(tables):
    leads, _ = tables
    dynamodb().put_item(TableName=leads, Item=lead_key("LEAD#1"))
    taken = {"TableName": leads, "Item": lead_key("LEAD#1"), "ConditionExpression": "attribute_not_exists(PK)"}

    with metered_dynamodb() as meter:
        with pytest.raises(ClientError):
            dynamodb().put_item(**taken)
        with pytest.raises(ClientError):
            dynamodb().transact_write_items(
                TransactItems=[{"Put": {"TableName": leads, "Item": lead_key("LEAD#2")}}, {"Put": taken}]
            )

    assert dict(meter.calls) == {"PutItem": 1, "TransactWriteItems": 1}
    assert meter.items_written == 0
    assert meter.table(leads).items_written == 0


def test_queries_read_what_they_scanned(tables):
    leads, _ = tables
    for number in range(5):
        dynamodb().put_item(TableName=leads, Item=lead_key(f"LEAD#{number}"))

    with metered_dynamodb() as meter:
        dynamodb().query(
            TableName=leads,
            KeyConditionExpression="PK = :pk",
            ExpressionAttributeValues={":pk": {"S": "T#meter"}},
            Limit=3,
        )

    assert (dict(meter.calls), meter.items_read) == ({"Query": 1}, 3)
