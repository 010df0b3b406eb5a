"""The event ledger (WebhookEventsTable): each provider event is applied once per connection.

One item per (connection_id, event_id), expired by TTL (`expires_at`) RETENTION after its last change:
HubSpot retries a delivery for up to 24 hours, and SQS redelivers on top of that.

- `claim` is ONE conditional UpdateItem: it takes a new event, an event whose last attempt failed
  transiently (`retrying`), or one whose worker died mid-way (`processing` past its lease). It sets
  `processing` with a lease and a claim token. An event already finished (applied, ignored, failed,
  stale) raises AlreadyDone: a duplicate. One still leased to another worker raises InProgress.
- `finish` records the outcome (ONE UpdateItem, conditional on still holding the claim); `release` hands
  the event back after a transient failure so that the redelivery takes it at once.

A crash after claiming and before applying loses nothing: the lease runs out (well within SQS's visibility
timeout) and the redelivery claims it again. A crash after the lead was written and before `finish`
applies the event once more on redelivery; the update policy makes that write change nothing but a second
inquiry record.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from leadgate import aws
from leadgate.leads.records import iso
from leadgate.settings import get_settings
from leadgate.webhooks.events import QueuedEvent

logger = Logger(child=True)

RETENTION = timedelta(hours=48)
DEFAULT_LEASE_SECONDS = 120
MAX_ERROR_LENGTH = 500
MAX_LIST_LIMIT = 100

Status = Literal["processing", "retrying", "applied", "ignored", "failed", "stale"]
FINAL_STATUSES = frozenset({"applied", "ignored", "failed", "stale"})

_deserializer = TypeDeserializer()


@dataclass(frozen=True)
class EventRecord:
    """One ledger item as the CLI shows it."""

    connection_id: str
    event_id: str
    status: str
    event_type: str | None = None
    provider: str | None = None
    received_at: str | None = None
    applied_at: str | None = None
    lead_id: str | None = None
    error: str | None = None
    attempts: int = 0
    duplicates: int = 0

    def record(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Claim:
    connection_id: str
    event_id: str
    token: str
    attempts: int


class AlreadyDone(Exception):
    """The event was finished before: this delivery is a duplicate."""

    def __init__(self, record: EventRecord) -> None:
        super().__init__(f"event {record.event_id} already {record.status}")
        self.record = record


class InProgress(Exception):
    """Another worker holds the event's lease right now."""


def _client() -> Any:
    return aws.dynamodb()


def _table() -> str:
    return get_settings().webhook_events_table


def _key(connection_id: str, event_id: str) -> dict[str, Any]:
    return {"connection_id": {"S": connection_id}, "event_id": {"S": event_id}}


def _expiry(now: datetime) -> dict[str, str]:
    return {"N": str(int((now + RETENTION).timestamp()))}


def claim(event: QueuedEvent, *, now: datetime, lease_seconds: int = DEFAULT_LEASE_SECONDS) -> Claim:
    """Take the event for this worker (ONE UpdateItem), or raise AlreadyDone / InProgress."""
    token = uuid.uuid4().hex
    try:
        answer = _client().update_item(
            TableName=_table(),
            Key=_key(event.connection_id, event.event_id),
            UpdateExpression=(
                "SET #status = :processing, lease_until = :lease, claim_token = :token, event_type = :type,"
                " provider = :provider, tenant_id = :tenant, received_at = if_not_exists(received_at, :received),"
                " claimed_at = :now, expires_at = :expires ADD attempts :one"
            ),
            ConditionExpression=(
                "attribute_not_exists(event_id) OR #status = :retrying"
                " OR (#status = :processing AND lease_until < :epoch)"
            ),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":processing": {"S": "processing"},
                ":retrying": {"S": "retrying"},
                ":lease": {"N": str(int(now.timestamp()) + lease_seconds)},
                ":epoch": {"N": str(int(now.timestamp()))},
                ":token": {"S": token},
                ":type": {"S": event.event_type},
                ":provider": {"S": event.provider},
                ":tenant": {"S": event.tenant_id},
                ":received": {"S": iso(event.received_at)},
                ":now": {"S": iso(now)},
                ":expires": _expiry(now),
                ":one": {"N": "1"},
            },
            ReturnValues="UPDATED_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if _code(error) != "ConditionalCheckFailedException":
            raise
        _refuse(event, error.response.get("Item"))
    attempts = int(answer.get("Attributes", {}).get("attempts", {}).get("N", "1"))
    return Claim(event.connection_id, event.event_id, token, attempts)


def _refuse(event: QueuedEvent, item: Mapping[str, Any] | None) -> None:
    if item is None:  # not returned: read it, strongly consistent
        item = (
            _client()
            .get_item(TableName=_table(), Key=_key(event.connection_id, event.event_id), ConsistentRead=True)
            .get("Item")
        )
    if item is None:  # gone in between (TTL): the redelivery claims it
        raise InProgress()
    record = _record(item)
    if record.status in FINAL_STATUSES:
        raise AlreadyDone(record)
    raise InProgress()


def finish(held: Claim, status: Status, *, now: datetime, lead_id: str | None = None, error: str | None = None) -> None:
    """Record the outcome (ONE UpdateItem), if this worker still holds the claim."""
    names = {"#status": "status"}
    values: dict[str, Any] = {
        ":status": {"S": status},
        ":now": {"S": iso(now)},
        ":token": {"S": held.token},
        ":expires": _expiry(now),
    }
    sets = ["#status = :status", "applied_at = :now", "expires_at = :expires"]
    if lead_id:
        sets.append("lead_id = :lead")
        values[":lead"] = {"S": lead_id}
    if error:
        sets.append("#error = :error")
        names["#error"] = "error"
        values[":error"] = {"S": error[:MAX_ERROR_LENGTH]}
    _update_held(held, f"SET {', '.join(sets)} REMOVE lease_until, claim_token", names, values)


def release(held: Claim, *, now: datetime, error: str) -> None:
    """Hand the event back after a transient failure: its redelivery claims it without waiting for the lease."""
    _update_held(
        held,
        "SET #status = :retrying, #error = :error, expires_at = :expires REMOVE lease_until, claim_token",
        {"#status": "status", "#error": "error"},
        {
            ":retrying": {"S": "retrying"},
            ":error": {"S": error[:MAX_ERROR_LENGTH]},
            ":token": {"S": held.token},
            ":expires": _expiry(now),
        },
    )


def _update_held(held: Claim, expression: str, names: dict[str, str], values: dict[str, Any]) -> None:
    try:
        _client().update_item(
            TableName=_table(),
            Key=_key(held.connection_id, held.event_id),
            UpdateExpression=expression,
            ConditionExpression="claim_token = :token",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if _code(error) != "ConditionalCheckFailedException":
            raise
        # Our lease ran out and another worker claimed the event: its outcome is the one to keep.
        logger.warning("Webhook event claimed by another worker", extra={"event_id": held.event_id})


def note_duplicate(connection_id: str, event_id: str) -> None:
    """Count a redelivery on the event's item (best effort: the duplicate is dropped either way)."""
    try:
        _client().update_item(
            TableName=_table(),
            Key=_key(connection_id, event_id),
            UpdateExpression="ADD duplicates :one",
            ConditionExpression="attribute_exists(event_id)",
            ExpressionAttributeValues={":one": {"N": "1"}},
        )
    except ClientError:
        logger.info("Duplicate not counted", extra={"event_id": event_id})


def get(connection_id: str, event_id: str) -> EventRecord | None:
    """ONE GetItem, strongly consistent."""
    item = _client().get_item(TableName=_table(), Key=_key(connection_id, event_id), ConsistentRead=True).get("Item")
    return _record(item) if item else None


def list_events(
    connection_id: str,
    limit: int = 50,
    start: str | None = None,
    *,
    dynamodb: Any | None = None,
    table: str | None = None,
) -> tuple[list[EventRecord], str | None]:
    """A connection's events in event-id order: ONE Query of `limit` (at most 100) items after the event id
    `start`; the last event id when there may be more. The admin CLI passes its own client and table."""
    kwargs: dict[str, Any] = {
        "TableName": table or _table(),
        "KeyConditionExpression": "connection_id = :connection",
        "ExpressionAttributeValues": {":connection": {"S": connection_id}},
        "Limit": max(1, min(limit, MAX_LIST_LIMIT)),
    }
    if start:
        kwargs["ExclusiveStartKey"] = _key(connection_id, start)
    answer = (dynamodb or _client()).query(**kwargs)
    records = [_record(item) for item in answer.get("Items", [])]
    last = answer.get("LastEvaluatedKey")
    return records, last["event_id"]["S"] if last else None


def _record(item: Mapping[str, Any]) -> EventRecord:
    plain = {name: _deserializer.deserialize(value) for name, value in item.items()}
    return EventRecord(
        connection_id=plain["connection_id"],
        event_id=plain["event_id"],
        status=plain.get("status", "processing"),
        event_type=plain.get("event_type"),
        provider=plain.get("provider"),
        received_at=plain.get("received_at"),
        applied_at=plain.get("applied_at"),
        lead_id=plain.get("lead_id"),
        error=plain.get("error"),
        attempts=int(plain.get("attempts", 0)),
        duplicates=int(plain.get("duplicates", 0)),
    )


def _code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")
