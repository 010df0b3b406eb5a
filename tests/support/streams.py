"""A table's DynamoDB stream read on moto and handed over as Lambda's event source mapping would (the local stack's
`lambda_record`): what the stream function's tests invoke it with."""

from __future__ import annotations

from typing import Any

import boto3

from leadgate_dev.local.streams import stream_event


class TableStream:
    """Every record written to `table` since the previous `take()`, as a Lambda DynamoDB stream event."""

    def __init__(self, table: str) -> None:
        self.streams = boto3.client("dynamodbstreams")
        self.arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
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
