"""Runs: one automation applied to one event, kept 30 days (TTL) in the workspace table.

A run is `T#{tenant}#AUTOMATION#{id}#RUNS` / `RUN#{event's occurred_at}#{event id}`: keyed by the automation and
the event (its time is the event's own), so ONE conditional PutItem claims the event for the automation exactly
once however often the stream delivers it, and a Query backwards lists the runs newest first. The run records
each action's outcome as it goes (`next_step`), so a run interrupted (an invocation that failed, a `wait`) goes
on from the step after the last one done, never repeating one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import Field, StringConstraints

from leadgate import aws, clock, cursors
from leadgate.events.model import Event
from leadgate.lists import Page
from leadgate.params import QueryModel
from leadgate.settings import get_settings
from leadgate.workspace import items, keys

KEPT = timedelta(days=30)
PREFIX = "RUN#"


class RunListParams(QueryModel):
    """GET /api/v1/automations/{id}/runs: newest first, `per_page` at a time, `cursor` from `links.next`."""

    per_page: int = Field(default=25, ge=1, le=100)
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None


@dataclass(frozen=True)
class Run:
    tenant_id: str
    automation_id: int
    event: Event
    status: str  # running, waiting, then succeeded, failed or stopped
    started_at: str
    depth: int
    steps: list[dict[str, Any]] = field(default_factory=list)  # each action done: step, type, outcome, detail
    next_step: int = 0
    reason: str | None = None  # why it stopped (`loop`, the automation deleted or paused during a wait)
    error: str | None = None
    finished_at: str | None = None
    resume_at: str | None = None

    @property
    def key(self) -> dict[str, Any]:
        return run_key(self.tenant_id, self.automation_id, self.event)

    def record(self) -> dict[str, Any]:
        return {
            "automation_id": self.automation_id,
            "lead_id": self.event.lead_id,
            "event_id": self.event.id,
            "event_type": self.event.type,
            "status": self.status,
            "reason": self.reason,
            "depth": self.depth,
            "actions": list(self.steps),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "resume_at": self.resume_at,
            "error": self.error,
        }


def _table() -> str:
    return get_settings().workspace_table


def partition(tenant_id: str, automation_id: int) -> str:
    return f"{keys.partition(tenant_id)}#AUTOMATION#{automation_id}#RUNS"


def run_key(tenant_id: str, automation_id: int, event: Event) -> dict[str, Any]:
    return keys.key(partition(tenant_id, automation_id), f"{PREFIX}{event.occurred_at}#{event.id}")


def _item(run: Run) -> dict[str, Any]:
    expires = int((clock.now() + KEPT).timestamp())
    attributes = {
        "status": run.status,
        "started_at": run.started_at,
        "depth": run.depth,
        "steps": json.dumps(run.steps, ensure_ascii=False),
        "next_step": run.next_step,
        "reason": run.reason,
        "error": run.error,
        "finished_at": run.finished_at,
        "resume_at": run.resume_at,
        "event": run.event.body(),
        "expires_at": expires,
    }
    return {**items.to_item(attributes), **run.key}


def run_from(tenant_id: str, automation_id: int, attributes: dict[str, Any]) -> Run:
    return Run(
        tenant_id=tenant_id,
        automation_id=automation_id,
        event=Event.from_body(attributes["event"]),
        status=attributes["status"],
        started_at=attributes["started_at"],
        depth=attributes["depth"],
        steps=json.loads(attributes.get("steps", "[]")),
        next_step=attributes.get("next_step", 0),
        reason=attributes.get("reason"),
        error=attributes.get("error"),
        finished_at=attributes.get("finished_at"),
        resume_at=attributes.get("resume_at"),
    )


def claim(run: Run) -> Run | None:
    """ONE conditional PutItem: the run when this is the event's first delivery to the automation; else None
    (the run already made: the caller reads it with `get` to resume it or leave it)."""
    try:
        aws.dynamodb().put_item(TableName=_table(), Item=_item(run), ConditionExpression="attribute_not_exists(pk)")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return None
        raise
    return run


def get(tenant_id: str, automation_id: int, event: Event) -> Run | None:
    item = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=run_key(tenant_id, automation_id, event), ConsistentRead=True)
        .get("Item")
    )
    return run_from(tenant_id, automation_id, items.plain(item)) if item else None


def save(run: Run, **changes: Any) -> Run:
    """ONE PutItem of the run as it is now."""
    changed = replace(run, **changes)
    aws.dynamodb().put_item(TableName=_table(), Item=_item(changed))
    return changed


def take_up(run: Run) -> bool:
    """ONE conditional UpdateItem: a waiting run becomes running again, once (a duplicate resumption loses)."""
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key=run.key,
            UpdateExpression="SET #status = :running",
            ConditionExpression="#status = :waiting",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={":running": {"S": "running"}, ":waiting": {"S": "waiting"}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


def page(tenant_id: str, automation_id: int, params: RunListParams) -> Page:
    """A page of the automation's runs, newest first: ONE Query."""
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": {"S": partition(tenant_id, automation_id)},
            ":prefix": {"S": PREFIX},
        },
        "ScanIndexForward": False,
        "Limit": params.per_page,
    }
    if params.cursor is not None:
        query["ExclusiveStartKey"] = keys.key(partition(tenant_id, automation_id), _position(params.cursor))
    answer = aws.dynamodb().query(**query)
    found = [run_from(tenant_id, automation_id, items.plain(item)).record() for item in answer.get("Items", [])]
    last = answer.get("LastEvaluatedKey")
    next_cursor = cursors.encode({"l": "automation_runs", "k": last["sk"]["S"]}) if last else None
    return Page(found, params.per_page, next_cursor)


def _position(cursor: str) -> str:
    body = cursors.decode(cursor)
    position = body.get("k")
    if body.get("l") != "automation_runs" or not isinstance(position, str) or not position.startswith(PREFIX):
        raise cursors.invalid(cursors.MALFORMED)
    return position
