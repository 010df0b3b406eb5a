"""The webhook queue's consumer: each SQS record is one queued event, applied once; a failed record alone
is retried (partial batch response), and lands in the dead-letter queue after `maxReceiveCount`."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from leadgate.observability import observed
from leadgate.webhooks.worker import process_message

processor = BatchProcessor(event_type=EventType.SQS)


def record_handler(record: SQSRecord) -> None:
    process_message(record.body)


def handle_batch(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


lambda_handler = observed(handle_batch)
