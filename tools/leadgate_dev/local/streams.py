"""The local stack's DynamoDB stream event source mappings: the template's DynamoDB events, run as Lambda runs them.

For each function with a DynamoDB event (`leadgate_dev.template.stream_event_sources`), one `StreamPoller`
thread reads the table's stream (DynamoDB Local produces the records; boto3's `dynamodbstreams` client goes to
`AWS_ENDPOINT_URL_DYNAMODB_STREAMS`):

- shards in order: a child shard is read once its parent is finished, one batch of a shard at a time, so the
  records of one item (one partition key) reach the function in order;
- up to the event's `BatchSize` records per invocation, as Lambda's event (`eventSourceARN`, numbers for
  `ApproximateCreationDateTime`), through the gateway's `FunctionPool`;
- with `ReportBatchItemFailures`, the batch is retried from the first failed record (from the start when the
  invocation failed), at most `MaximumRetryAttempts` times (-1: without end), `RETRY_DELAY_SECONDS` apart;
  then that record is given up: its metadata (shard, sequence number) goes to the `OnFailure` queue, as
  Lambda's failure destination receives it, and the shard goes on. Lambda would bisect the batch first; the
  outcome is the same here: the poison record alone is given up.

New shards found after the start are read from TRIM_HORIZON; the shards there at the start from the event's
`StartingPosition`.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadgate_dev.template import StreamEventSourceSpec

logger = logging.getLogger(__name__)

POLL_INTERVAL_SECONDS = 0.2
RETRY_DELAY_SECONDS = 0.2
REGION = "us-east-1"


def lambda_record(record: Mapping[str, Any], stream_arn: str) -> dict[str, Any]:
    """A GetRecords record as Lambda's DynamoDB event source mapping hands it to the function."""
    change = dict(record["dynamodb"])
    created = change.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        change["ApproximateCreationDateTime"] = int(created.timestamp())
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": record.get("eventVersion", "1.1"),
        "eventSource": "aws:dynamodb",
        "awsRegion": record.get("awsRegion", REGION),
        "dynamodb": change,
        "eventSourceARN": stream_arn,
    }


def stream_event(records: list[Mapping[str, Any]], stream_arn: str) -> dict[str, Any]:
    return {"Records": [lambda_record(record, stream_arn) for record in records]}


class StreamPoller:
    """One DynamoDB event source of one function; `start()` runs it on a daemon thread until `stop()`."""

    def __init__(
        self,
        spec: StreamEventSourceSpec,
        *,
        streams: Any,
        stream_arn: str,
        functions: Any,
        sqs: Any = None,
        failure_queue_url: str | None = None,
    ) -> None:
        self.spec = spec
        self.streams = streams
        self.stream_arn = stream_arn
        self.functions = functions
        self.sqs = sqs
        self.failure_queue_url = failure_queue_url
        self._positions: dict[str, str | None] = {}  # open shard -> the last record delivered (None: none yet)
        self._finished: set[str] = set()
        self._started = False
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._refresh_shards()  # the shards there now start at StartingPosition; later ones at TRIM_HORIZON
        self._started = True
        self._thread = threading.Thread(target=self._run, name=f"stream-{self.spec.function}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                delivered = self.poll_once()
            except Exception:  # the emulator went away (a stop) or hiccuped: try again shortly
                delivered = 0
                if not self._stopping.is_set():
                    logger.exception("polling the stream of %s failed", self.spec.table)
            if not delivered:
                self._stopping.wait(POLL_INTERVAL_SECONDS)

    def _refresh_shards(self) -> None:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"].get("Shards", [])
        known = {shard["ShardId"] for shard in shards}
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self._positions or shard_id in self._finished:
                continue
            parent = shard.get("ParentShardId")
            if parent and parent in known and parent not in self._finished:
                continue  # its parent's records come first
            start = self.spec.starting_position if not self._started else "TRIM_HORIZON"
            self._positions[shard_id] = self._last_record(shard_id) if start == "LATEST" else None

    def _last_record(self, shard_id: str) -> str | None:
        """The sequence number of the shard's last record so far (LATEST: what is there is not delivered)."""
        last, iterator = None, self._iterator(shard_id, "TRIM_HORIZON")
        while iterator:
            page = self.streams.get_records(ShardIterator=iterator)
            if not page.get("Records"):
                return last
            last = page["Records"][-1]["dynamodb"]["SequenceNumber"]
            iterator = page.get("NextShardIterator")
        return last

    def _iterator(self, shard_id: str, kind: str, after: str | None = None) -> str:
        arguments = {"StreamArn": self.stream_arn, "ShardId": shard_id, "ShardIteratorType": kind}
        if after is not None:
            arguments["SequenceNumber"] = after
        return self.streams.get_shard_iterator(**arguments)["ShardIterator"]

    def poll_once(self) -> int:
        """One GetRecords per open shard, each batch delivered; returns how many records were delivered.

        Each read starts from a fresh iterator after the last record delivered (TRIM_HORIZON before the first):
        DynamoDB Local's NextShardIterator after an empty read skips the records written later."""
        self._refresh_shards()
        delivered = 0
        for shard_id, last in list(self._positions.items()):
            iterator = (
                self._iterator(shard_id, "AFTER_SEQUENCE_NUMBER", last)
                if last
                else self._iterator(shard_id, "TRIM_HORIZON")
            )
            page = self.streams.get_records(ShardIterator=iterator, Limit=min(self.spec.batch_size, 1000))
            records = page.get("Records", [])
            if records:
                self._deliver(shard_id, records)
                self._positions[shard_id] = records[-1]["dynamodb"]["SequenceNumber"]
                delivered += len(records)
            elif not page.get("NextShardIterator"):
                del self._positions[shard_id]  # a closed shard, read to its end
                self._finished.add(shard_id)
        return delivered

    def _deliver(self, shard_id: str, records: list[dict[str, Any]]) -> None:
        attempts = 0
        while records and not self._stopping.is_set():
            failed = self._first_failure(records)
            if failed is None:
                return
            attempts += 1
            limit = self.spec.maximum_retry_attempts
            if limit >= 0 and attempts > limit:
                self._give_up(shard_id, records[failed])
                records, attempts = records[failed + 1 :], 0
            else:
                records = records[failed:]
                self._stopping.wait(RETRY_DELAY_SECONDS)

    def _first_failure(self, records: list[dict[str, Any]]) -> int | None:
        """The index of the first record to retry from, or None when the batch succeeded."""
        try:
            answer = self.functions.invoke(
                self.spec.function, stream_event(records, self.stream_arn), str(uuid.uuid4()), via_gateway=False
            )
        except Exception:
            logger.exception("%s failed on a batch of %d stream records", self.spec.function, len(records))
            return 0
        if not self.spec.report_batch_item_failures:
            return None
        if not isinstance(answer, Mapping):
            return 0
        named = {str(item.get("itemIdentifier")) for item in answer.get("batchItemFailures") or []}
        numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        if named - set(numbers):
            return 0  # Lambda treats an unknown identifier as a failure of the whole batch
        return next((index for index, number in enumerate(numbers) if number in named), None)

    def _give_up(self, shard_id: str, record: Mapping[str, Any]) -> None:
        number = record["dynamodb"]["SequenceNumber"]
        logger.error("%s gave up on stream record %s of shard %s", self.spec.function, number, shard_id)
        if self.sqs is None or self.failure_queue_url is None:
            return
        metadata = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "functionArn": self.spec.function},
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": number,
                "endSequenceNumber": number,
                "batchSize": 1,
                "streamArn": self.stream_arn,
            },
        }
        self.sqs.send_message(QueueUrl=self.failure_queue_url, MessageBody=json.dumps(metadata))


def start_stream_pollers(
    specs: list[StreamEventSourceSpec],
    *,
    dynamodb: Any,
    streams: Any,
    table_names: Mapping[str, str],
    functions: Any,
    sqs: Any = None,
    queue_urls: Mapping[str, str] | None = None,
) -> list[StreamPoller]:
    """A started poller per DynamoDB event source; `table_names`: logical id -> table name."""
    pollers = []
    for spec in specs:
        arn = dynamodb.describe_table(TableName=table_names[spec.table])["Table"]["LatestStreamArn"]
        poller = StreamPoller(
            spec,
            streams=streams,
            stream_arn=arn,
            functions=functions,
            sqs=sqs,
            failure_queue_url=(queue_urls or {}).get(spec.on_failure) if spec.on_failure else None,
        )
        poller.start()
        pollers.append(poller)
    return pollers
