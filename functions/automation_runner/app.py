"""The automation runner (docs/automations.md), on two sources:

- the events table's stream (NEW_IMAGE): each new event applied to the tenant's automations it triggers
  (`leadgate.automations.runner.on_event`);
- the automations queue: runs resumed after a `wait` (`runner.resumed`), or queued again while the wait lasts.

Partial batch failures: a record that fails is retried (bisected on the stream) without re-running the ones
before it; a run's conditional claim keeps a redelivered record from applying anything twice.
"""

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from leadgate.automations import resume, runner
from leadgate.events.model import Event
from leadgate.observability import observed

stream_processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
queue_processor = BatchProcessor(event_type=EventType.SQS)
_automations_by_tenant: dict = {}  # one batch's cache, cleared per invocation


def stream_record(record: DynamoDBRecord) -> None:
    if record.event_name is None or record.event_name.name != "INSERT":
        return  # the journal only ever inserts; expiries (REMOVE) are not events
    body = (record.dynamodb.new_image if record.dynamodb else {}).get("body")
    if body is not None:
        runner.on_event(Event.from_body(body), _automations_by_tenant)


def queue_record(record: SQSRecord) -> None:
    message = resume.parse(record.body)
    left = resume.remaining(message["resume_at"])
    if left > 1:
        resume.send(record.body, left)  # a wait longer than SQS holds a message: the next hop
        return
    runner.resumed(message["tenant"], int(message["automation_id"]), Event.from_body(message["event"]))


def handle_batch(event: dict, context) -> dict:
    records = event.get("Records") or [{}]
    if records[0].get("eventSource") == "aws:sqs":
        return process_partial_response(
            event=event, record_handler=queue_record, processor=queue_processor, context=context
        )
    _automations_by_tenant.clear()
    return process_partial_response(
        event=event, record_handler=stream_record, processor=stream_processor, context=context
    )


lambda_handler = observed(handle_batch)
