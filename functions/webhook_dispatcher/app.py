"""The webhook dispatcher, on the events table's stream (NEW_IMAGE): each new event becomes one delivery per
endpoint of its tenant that wants it, queued for the sender (`leadgate.outbound.dispatch`). Partial batch
failures: a record that fails is retried (bisected) without re-dispatching the ones before it."""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord

from leadgate.events.model import Event
from leadgate.observability import observed
from leadgate.outbound.dispatch import dispatch

processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
_endpoints_by_tenant: dict = {}  # one batch's cache, cleared per invocation


def record_handler(record: DynamoDBRecord) -> None:
    if record.event_name is None or record.event_name.name != "INSERT":
        return  # the journal only ever inserts; expiries (REMOVE) are not events
    image = record.dynamodb.new_image if record.dynamodb else {}
    body = image.get("body")
    if body is None:
        return
    dispatch(Event.from_body(body), _endpoints_by_tenant)


def handle_batch(event: dict, context) -> dict:
    _endpoints_by_tenant.clear()
    return process_partial_response(event=event, record_handler=record_handler, processor=processor, context=context)


lambda_handler = observed(handle_batch)
