"""The webhook sender, on the deliveries queue (standard SQS): each record is one delivery to try, or one page of
deliveries to release (`leadgate.outbound.sender`). The batch's records run concurrently, each in its own
thread, so an endpoint that hangs (up to the 15 s timeout) never delays another's deliveries in the batch;
partial batch failures retry only the records that raised."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools.utilities.batch import (
    AsyncBatchProcessor,
    EventType,
    async_process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from leadgate.observability import observed
from leadgate.outbound.sender import process

processor = AsyncBatchProcessor(event_type=EventType.SQS)
# A thread per record of a full batch (the event's BatchSize): asyncio's default pool has only cores + 4.
senders = ThreadPoolExecutor(max_workers=10, thread_name_prefix="webhook-sender")


async def record_handler(record: SQSRecord) -> None:
    await asyncio.get_running_loop().run_in_executor(senders, process, record.body)


def handle_batch(event: dict, context) -> dict:
    return async_process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )


lambda_handler = observed(handle_batch)
