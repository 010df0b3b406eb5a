"""Deliveries: one event to one endpoint, with the log of its attempts (the delivery log), kept 30 days.

A delivery is created by the dispatcher (`pending`, or `paused` for an inactive endpoint), tried by the sender
(`succeeded`, `pending` again with `next_attempt_at`, or `failed` when the schedule is exhausted or the answer
is final), and made `pending` again by a redelivery, a recovery or the endpoint's resumption. Every attempt is
appended to the item (time, status code, duration, the answer's first 1 KB, error, trigger); the item keeps the
event's body, so retries never read the journal.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Annotated, Any, Literal

from botocore.exceptions import ClientError
from pydantic import Field, StringConstraints

from leadgate import aws, clock, cursors, dependencies, errors
from leadgate.events.model import Event
from leadgate.lists import Page
from leadgate.outbound import keys
from leadgate.params import QueryModel
from leadgate.settings import get_settings
from leadgate.workspace import items

Status = Literal["pending", "succeeded", "failed", "paused"]
RETENTION_SECONDS = 30 * 86400
MAX_LOGGED_ATTEMPTS = 30  # the newest attempts kept on the item (8 scheduled per cycle, plus redeliveries)
ANSWER_BYTES = 1024
MAX_EVENT_ID_BYTES = 200
RELEASE_PAGE = 100  # deliveries a recovery or resumption reads per queued message
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25


@dataclass(frozen=True)
class Delivery:
    tenant_id: str
    endpoint_id: int
    event_id: str
    event_type: str
    event: str  # the event's body (Event.body())
    status: str
    created_at: str
    tries: int = 0  # failed attempts in a row since the last (re)start: the schedule's position
    attempts: tuple[dict[str, Any], ...] = ()
    next_attempt_at: str | None = None

    def record(self) -> dict[str, Any]:
        return {
            "id": self.event_id,
            "endpoint_id": self.endpoint_id,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "status": self.status,
            "attempt_count": len(self.attempts),
            "next_attempt_at": self.next_attempt_at,
            "created_at": self.created_at,
            "attempts": list(self.attempts),
        }

    def parsed_event(self) -> Event:
        return Event.from_body(self.event)


class DeliveryListParams(QueryModel):
    """Filters of GET /api/v1/webhook-endpoints/{id}/deliveries (newest first)."""

    status: Status | None = None
    event_type: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]*$", max_length=100)] | None = None
    per_page: int = Field(default=25, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None


def _table() -> str:
    return get_settings().outbound_webhooks_table


def delivery_from(attributes: dict[str, Any]) -> Delivery:
    return Delivery(
        tenant_id=attributes["tenant_id"],
        endpoint_id=attributes["endpoint_id"],
        event_id=attributes["event_id"],
        event_type=attributes["event_type"],
        event=attributes["event"],
        status=attributes["status"],
        created_at=attributes["created_at"],
        tries=attributes.get("tries", 0),
        attempts=tuple(json.loads(attributes.get("attempts", "[]"))),
        next_attempt_at=attributes.get("next_attempt_at"),
    )


def create(tenant_id: str, endpoint_id: int, event: Event, status: Status) -> bool:
    """ONE conditional PutItem; False when the delivery exists (a stream record dispatched again)."""
    now = clock.now()
    item = {
        "tenant_id": tenant_id,
        "endpoint_id": endpoint_id,
        "event_id": event.id,
        "event_type": event.type,
        "event": event.body(),
        "status": status,
        "created_at": clock.iso(now),
        "tries": 0,
        "attempts": "[]",
        "listed": keys.listed(event.occurred_at, event.id),
        "expires_at": int(now.timestamp()) + RETENTION_SECONDS,
    }
    try:
        aws.dynamodb().put_item(
            TableName=_table(),
            Item={**items.to_item(item), **keys.delivery_key(tenant_id, endpoint_id, event.id)},
            ConditionExpression="attribute_not_exists(pk)",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get(tenant_id: str, endpoint_id: int, event_id: str) -> Delivery | None:
    if len(event_id.encode("utf-8", "surrogatepass")) > MAX_EVENT_ID_BYTES:
        return None  # no event has such an id, and DynamoDB refuses a sort key past 1 KB
    item = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=keys.delivery_key(tenant_id, endpoint_id, event_id), ConsistentRead=True)
        .get("Item")
    )
    return delivery_from(items.plain(item)) if item else None


def require(tenant_id: str, endpoint_id: int, event_id: str) -> Delivery:
    found = get(tenant_id, endpoint_id, event_id)
    if found is None:
        raise errors.NotFound("No such delivery.")
    return found


def claim(delivery: Delivery, now: float, seconds: float) -> bool:
    """Takes the delivery's next attempt for `seconds` (ONE conditional UpdateItem): False when it is no longer
    pending or another sender holds it (a duplicate message), so no delivery is sent twice at once."""
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key=keys.delivery_key(delivery.tenant_id, delivery.endpoint_id, delivery.event_id),
            UpdateExpression="SET claimed_until = :until",
            ConditionExpression="#status = :pending AND (attribute_not_exists(claimed_until) OR claimed_until < :now)",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":pending": {"S": "pending"},
                ":now": {"N": str(now)},
                ":until": {"N": str(now + seconds)},
            },
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def record_attempt(
    delivery: Delivery,
    attempt: dict[str, Any],
    *,
    status: Status,
    tries: int,
    next_attempt_at: str | None,
    due_at: str | None = None,
) -> Delivery:
    """ONE UpdateItem: the attempt appended to the log, the new status and schedule position; `due_at` parks the
    delivery on the sweeper's index."""
    logged = [*delivery.attempts, attempt][-MAX_LOGGED_ATTEMPTS:]
    values: dict[str, Any] = {
        ":status": {"S": status},
        ":tries": {"N": str(tries)},
        ":attempts": {"S": json.dumps(logged, separators=(",", ":"), ensure_ascii=False)},
    }
    sets = ["#status = :status", "tries = :tries", "attempts = :attempts"]
    removes = ["claimed_until"]
    for name, value in (("next_attempt_at", next_attempt_at), ("due_at", due_at)):
        if value is None:
            removes.append(name)
        else:
            sets.append(f"{name} = :{name}")
            values[f":{name}"] = {"S": value}
    if due_at is None:
        removes.append("due_shard")
    else:
        sets.append("due_shard = :shard")
        values[":shard"] = {"S": keys.DUE_SHARD}
    expression = "SET " + ", ".join(sets) + " REMOVE " + ", ".join(removes)
    aws.dynamodb().update_item(
        TableName=_table(),
        Key=keys.delivery_key(delivery.tenant_id, delivery.endpoint_id, delivery.event_id),
        UpdateExpression=expression,
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues=values,
    )
    return replace(delivery, status=status, tries=tries, attempts=tuple(logged), next_attempt_at=next_attempt_at)


def set_status(delivery: Delivery, status: Status, *, only_from: tuple[str, ...], restart: bool = False) -> bool:
    """Moves the delivery to `status` if it is in one of `only_from` (False if not); `restart` puts it back at
    the start of the schedule (a redelivery). ONE UpdateItem."""
    values: dict[str, Any] = {":status": {"S": status}}
    sets = ["#status = :status"]
    if restart:
        sets.append("tries = :zero")
        values[":zero"] = {"N": "0"}
    conditions = []
    for index, previous in enumerate(only_from):
        values[f":from{index}"] = {"S": previous}
        conditions.append(f"#status = :from{index}")
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key=keys.delivery_key(delivery.tenant_id, delivery.endpoint_id, delivery.event_id),
            UpdateExpression="SET " + ", ".join(sets) + " REMOVE next_attempt_at, due_at, due_shard, claimed_until",
            ConditionExpression=" OR ".join(conditions),
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues=values,
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def page(tenant_id: str, endpoint_id: int, params: DeliveryListParams) -> Page:
    """A page of the endpoint's deliveries, newest first: ONE Query on `by_time` (a filter reads past the
    deliveries it drops, bounded by the page's Limit)."""
    query: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": keys.BY_TIME,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": keys.deliveries_partition(tenant_id, endpoint_id)}},
        "ScanIndexForward": False,
        "Limit": params.per_page,
    }
    filters, names = [], {}
    if params.status is not None:
        filters.append("#status = :status")
        names["#status"] = "status"
        query["ExpressionAttributeValues"][":status"] = {"S": params.status}
    if params.event_type is not None:
        filters.append("event_type = :type")
        query["ExpressionAttributeValues"][":type"] = {"S": params.event_type}
    if filters:
        query["FilterExpression"] = " AND ".join(filters)
        query["Limit"] = params.per_page * 4
    if names:
        query["ExpressionAttributeNames"] = names
    if params.cursor is not None:
        query["ExclusiveStartKey"] = _start_key(params.cursor, tenant_id, endpoint_id)
    answer = aws.dynamodb().query(**query)
    found = [delivery_from(items.plain(item)) for item in answer.get("Items", [])][: params.per_page]
    last = answer.get("LastEvaluatedKey")
    if filters and len(answer.get("Items", [])) > params.per_page:
        chosen = answer["Items"][params.per_page - 1]
        last = {name: chosen[name] for name in ("pk", "sk", "listed")}
    next_cursor = cursors.encode({"l": "deliveries", "k": [last["sk"]["S"], last["listed"]["S"]]}) if last else None
    return Page([delivery.record() for delivery in found], params.per_page, next_cursor)


def _start_key(cursor: str, tenant_id: str, endpoint_id: int) -> dict[str, Any]:
    body = cursors.decode(cursor)
    position = body.get("k")
    if body.get("l") != "deliveries" or not (
        isinstance(position, list) and len(position) == 2 and all(isinstance(part, str) for part in position)
    ):
        raise cursors.invalid(cursors.MALFORMED)
    return {
        "pk": {"S": keys.deliveries_partition(tenant_id, endpoint_id)},
        "sk": {"S": position[0]},
        "listed": {"S": position[1]},
    }


def since(tenant_id: str, endpoint_id: int, statuses: tuple[str, ...], after: str | None, start: dict | None):
    """One page (up to 100) of the endpoint's deliveries in `statuses` listed at or after `after`, oldest first,
    and where the next page starts (None: the end). For recovery and resumption."""
    values: dict[str, Any] = {":pk": {"S": keys.deliveries_partition(tenant_id, endpoint_id)}}
    condition = "pk = :pk"
    if after is not None:
        condition += " AND listed >= :after"
        values[":after"] = {"S": after}
    conditions = []
    for index, status in enumerate(statuses):
        values[f":s{index}"] = {"S": status}
        conditions.append(f"#status = :s{index}")
    query: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": keys.BY_TIME,
        "KeyConditionExpression": condition,
        "FilterExpression": " OR ".join(conditions),
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": values,
        "Limit": RELEASE_PAGE,
    }
    if start:
        query["ExclusiveStartKey"] = start
    answer = aws.dynamodb().query(**query)
    return [delivery_from(items.plain(item)) for item in answer.get("Items", [])], answer.get("LastEvaluatedKey")


def due(now: str, limit: int = 500) -> list[dict[str, Any]]:
    """Keys of the deliveries whose long wait is over: ONE Query on `by_due`."""
    answer = aws.dynamodb().query(
        TableName=_table(),
        IndexName=keys.BY_DUE,
        KeyConditionExpression="due_shard = :shard AND due_at <= :now",
        ExpressionAttributeValues={":shard": {"S": keys.DUE_SHARD}, ":now": {"S": now}},
        Limit=limit,
    )
    return answer.get("Items", [])


def unpark(key: dict[str, Any], due_at: str) -> bool:
    """Takes a delivery off the due index if it is still parked for `due_at` (False: another sweep did)."""
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key={"pk": key["pk"], "sk": key["sk"]},
            UpdateExpression="REMOVE due_shard, due_at",
            ConditionExpression="due_at = :due",
            ExpressionAttributeValues={":due": {"S": due_at}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def erase(tenant_id: str, endpoint_ids: Sequence[int], event_ids: Sequence[str]) -> int:
    """Deletes the deliveries of `event_ids` to every endpoint (erasure: a delivery keeps the event's body):
    BatchGetItem of the keys that may exist, keys only, then BatchWriteItem of those found; how many."""
    candidates = [keys.delivery_key(tenant_id, endpoint, event) for endpoint in endpoint_ids for event in event_ids]
    found: list[dict[str, Any]] = []
    for first in range(0, len(candidates), BATCH_GET_LIMIT):
        chunk = candidates[first : first + BATCH_GET_LIMIT]
        request = {_table(): {"Keys": chunk, "ProjectionExpression": "pk, sk"}}
        items, _ = dependencies.batch_get(aws.dynamodb(), request)
        found += [{"pk": item["pk"], "sk": item["sk"]} for item in items.get(_table(), [])]
    for first in range(0, len(found), BATCH_WRITE_LIMIT):
        deletes = [{"DeleteRequest": {"Key": key}} for key in found[first : first + BATCH_WRITE_LIMIT]]
        dependencies.batch_write(aws.dynamodb(), {_table(): deletes})
    return len(found)
