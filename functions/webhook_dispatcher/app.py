"""The webhook dispatcher, on the events table's stream (NEW_IMAGE): each new event becomes one delivery per
endpoint of its tenant that wants it (`leadgate.outbound.dispatch`), and the batch's deliveries are queued for the
sender together at its end (SendMessageBatch by 10). Partial batch failures: a record that fails is retried
(bisected) without re-dispatching the ones before it; a failed send fails the invocation, and the batch handed over
again queues its pending deliveries again (the sender sends each once)."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadgate.events.model import Event
from leadgate.observability import observed
from leadgate.outbound import queue
from leadgate.outbound.dispatch import dispatch

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_endpoints_by_tenant: dict = {}  # one batch's cache, cleared per invocation
_to_queue: list[str] = []  # the batch's delivery messages, sent at its end


def record_handler(record: DynamoDBRecord) -> None:
    if record.event_name is None or record.event_name.name != "INSERT":
        return  # the journal only ever inserts; expiries (REMOVE) are not events
    image = record.dynamodb.new_image if record.dynamodb else {}
    body = image.get("body")
    if body is None:
        return
    _to_queue.extend(dispatch(Event.from_body(body), _endpoints_by_tenant))


def handle_batch(event: dict, context) -> dict:
    _endpoints_by_tenant.clear()
    _to_queue.clear()
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    queue.send_all(_to_queue)
    return response


lambda_handler = observed(handle_batch)
