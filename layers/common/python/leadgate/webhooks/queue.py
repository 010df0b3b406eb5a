"""Sending queued events to the webhook queue (WEBHOOK_QUEUE_URL): SendMessageBatch, 10 at a time.

Every event must be queued before the receiver acknowledges: any failure, a partial one included, raises
`QueueUnavailable` (503, the sender retries). Events of a batch that did get in are applied once anyway
(the worker's ledger), so the retry is harmless.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from leadgate import aws, errors
from leadgate.settings import get_settings
from leadgate.webhooks.events import QueuedEvent

logger = Logger(child=True)

SQS_BATCH_SIZE = 10
RETRY_AFTER_SECONDS = 30


class QueueUnavailable(errors.Unavailable):
    default_message = "The delivery could not be queued; retry later."

    def __init__(self) -> None:
        super().__init__(RETRY_AFTER_SECONDS)


def send_events(events: Sequence[QueuedEvent]) -> None:
    """Queues every event or raises QueueUnavailable."""
    queue_url = get_settings().webhook_queue_url
    for start in range(0, len(events), SQS_BATCH_SIZE):
        chunk = events[start : start + SQS_BATCH_SIZE]
        entries = [
            {
                "Id": str(number),
                "MessageBody": event.to_message(),
                "MessageAttributes": {
                    "connection_id": {"DataType": "String", "StringValue": event.connection_id},
                    "event_id": {"DataType": "String", "StringValue": event.event_id},
                },
            }
            for number, event in enumerate(chunk)
        ]
        try:
            answer = aws.sqs().send_message_batch(QueueUrl=queue_url, Entries=entries)
        except (ClientError, BotoCoreError) as error:
            logger.error("The webhook queue refused a batch", extra={"error_type": type(error).__name__})
            raise QueueUnavailable() from error
        if answer.get("Failed"):
            codes = sorted({failure.get("Code", "") for failure in answer["Failed"]})
            logger.error("The webhook queue refused events", extra={"failed": len(answer["Failed"]), "codes": codes})
            raise QueueUnavailable()
