"""A table's DynamoDB stream read on moto and handed over as Lambda's event source mapping would (the local stack's
`lambda_record`): what the stream function's tests invoke it with."""

from __future__ import annotations

from typing import Any

import boto3

from leadgate_dev import template
from leadgate_dev.local.streams import stream_event


class TableStream:
    """Every record written to `table` since the previous `take()`, as a Lambda DynamoDB stream event. The `aws`
    fixture provisions tables without streams: this turns the table's on, as the template has it."""

    def __init__(self, table: str) -> None:
        self.streams = boto3.client("dynamodbstreams")
        self.arn = enable_stream(table)
        shards = self.streams.describe_stream(StreamArn=self.arn)["StreamDescription"]["Shards"]
        self.iterators = {
            shard["ShardId"]: self.streams.get_shard_iterator(
                StreamArn=self.arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            for shard in shards
        }

    def take(self) -> dict[str, Any]:
        records: list[dict[str, Any]] = []
        for shard, iterator in self.iterators.items():
            page = self.streams.get_records(ShardIterator=iterator)
            records += page["Records"]
            self.iterators[shard] = page["NextShardIterator"]
        return stream_event(records, self.arn)


def enable_stream(table: str) -> str:
    """The table's stream ARN, its stream turned on first (the template's view type) if it is off."""
    dynamodb = boto3.client("dynamodb")
    described = dynamodb.describe_table(TableName=table)["Table"]
    if "LatestStreamArn" not in described:
        logical_id = described["TableName"].split("-", 1)[1]
        spec = next(spec for spec in template.tables() if spec.logical_id == logical_id)
        dynamodb.update_table(TableName=table, StreamSpecification=spec.create_kwargs["StreamSpecification"])
        described = dynamodb.describe_table(TableName=table)["Table"]
    return described["LatestStreamArn"]
