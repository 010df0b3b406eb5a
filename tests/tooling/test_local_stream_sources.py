"""The local DynamoDB stream event source on moto: every record once and in order, a failing record retried
from where it failed, then given up (its metadata in the failure queue) while the shard goes on."""

from __future__ import annotations

import dataclasses
import json

import boto3
import pytest

from leadgate_dev import template
from leadgate_dev.local import streams
from leadgate_dev.local.streams import StreamPoller
from tests.support.streams import enable_stream


class Function:
    """Stands in for the function pool: fails the records whose key is in `poison`, records every batch."""

    def __init__(self, poison=()):
        self.poison, self.batches = set(poison), []

    def invoke(self, function, event, request_id, *, via_gateway=True):
        assert not via_gateway
        keys = [record["dynamodb"]["Keys"]["SK"]["S"] for record in event["Records"]]
        self.batches.append(keys)
        return {
            "batchItemFailures": [
                {"itemIdentifier": record["dynamodb"]["SequenceNumber"]}
                for record in event["Records"]
                if record["dynamodb"]["Keys"]["SK"]["S"] in self.poison
            ]
        }


@pytest.fixture
def leads_table(aws, monkeypatch):
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")
    monkeypatch.setattr(streams, "RETRY_DELAY_SECONDS", 0)
    enable_stream(aws.tables["LEADS_TABLE"])
    return aws.tables["LEADS_TABLE"]


def poller(aws, table: str, function: Function, retries: int = 2) -> StreamPoller:
    spec = next(spec for spec in template.stream_event_sources() if spec.table == "LeadsTable")
    spec = dataclasses.replace(spec, maximum_retry_attempts=retries)
    dynamodb = boto3.client("dynamodb")
    return StreamPoller(
        spec,
        streams=boto3.client("dynamodbstreams"),
        stream_arn=dynamodb.describe_table(TableName=table)["Table"]["LatestStreamArn"],
        functions=function,
        sqs=boto3.client("sqs"),
        failure_queue_url=aws.queues["EventStreamFailureQueue"],
    )


def put(table: str, *sort_keys: str) -> None:
    for sort_key in sort_keys:
        boto3.client("dynamodb").put_item(TableName=table, Item={"PK": {"S": "T#a"}, "SK": {"S": sort_key}})


def test_records_arrive_once_in_order_across_polls(aws, leads_table):
    function = Function()
    source = poller(aws, leads_table, function)
    put(leads_table, "A", "B")
    assert source.poll_once() == 2
    assert source.poll_once() == 0
    put(leads_table, "C")
    assert source.poll_once() == 1
    assert [key for batch in function.batches for key in batch] == ["A", "B", "C"]


def test_a_poison_record_is_retried_then_given_up_and_the_shard_goes_on(aws, leads_table):
    function = Function(poison={"B"})
    source = poller(aws, leads_table, function, retries=2)
    put(leads_table, "A", "B", "C")

    source.poll_once()

    assert function.batches == [["A", "B", "C"], ["B", "C"], ["B", "C"], ["C"]]
    messages = boto3.client("sqs").receive_message(QueueUrl=aws.queues["EventStreamFailureQueue"])["Messages"]
    (failure,) = [json.loads(message["Body"]) for message in messages]
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    put(leads_table, "D")
    source.poll_once()
    assert function.batches[-1] == ["D"]
