"""The jobs queue's consumer (FIFO, one message group per job): each SQS record is one page of one job
(`leadgate.workspace.worker`); a failed record is retried alone and the rest of its job's group waits for it
(partial batch response), and lands in the dead-letter queue after `maxReceiveCount`."""

from aws_lambda_powertools.utilities.batch import SqsFifoPartialProcessor, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from leadgate.observability import observed
from leadgate.workspace.worker import process_message

# Other jobs' groups in the batch go on when one fails; the failed group's later records wait for the retry.
processor = SqsFifoPartialProcessor(skip_group_on_error=True)


def record_handler(record: SQSRecord) -> None:
    process_message(record.body, int(record.attributes.approximate_receive_count))


def handle_batch(event: dict, context) -> dict:
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


lambda_handler = observed(handle_batch)
