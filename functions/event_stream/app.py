"""The leads table's stream consumer: each record's domain events journaled (leadgate.events.stream).

Partial batch failures: a record that fails (an unreadable item, a failed write) alone is reported; Lambda
retries from it (bisecting the batch), at most `MaximumRetryAttempts` times, then hands its metadata to the
failure queue and goes on: a poison record never stalls its shard.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadgate.events.stream import journal_record
from leadgate.observability import observed

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)


def record_handler(record: DynamoDBRecord) -> None:
    journal_record(record.raw_event)


def handle_batch(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


lambda_handler = observed(handle_batch)
