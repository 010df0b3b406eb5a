"""Automations in the workspace table: the automation items, their counters, and each lead's enrollment.

- An automation: `T#{tenant}` / `AUTOMATION#{padded id}` (ids from the kind's sequence beside it), written whole
  by ONE PutItem conditional on the version read (its ETag).
- Its counters: `T#{tenant}` / `COUNTERS#automation#{padded id}`, moved by UpdateItem ADD only (runs by outcome,
  and each `assign_round_robin` step's turn), so a save never resets them and a run never bumps the ETag.
- A lead's enrollment: `T#{tenant}#AUTOMATION#{id}#ENROLLED` / `{lead id}`: ONE conditional PutItem enrolls a
  lead once (automations without `reenroll`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from botocore.exceptions import ClientError

from leadgate import aws, errors
from leadgate.automations.definitions import AutomationCreate
from leadgate.settings import get_settings
from leadgate.workspace import items, keys

KIND = "automation"
MAX_AUTOMATIONS = 200  # per tenant: the runner reads them all for every event of the tenant
COUNTED = ("succeeded", "failed", "stopped")


@dataclass(frozen=True)
class Automation:
    tenant_id: str
    id: int
    name: str
    active: bool
    trigger: dict[str, Any]
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    reenroll: bool
    created_at: str
    updated_at: str
    secret_arn: str | None = None  # its signing secret, when it has a `send_webhook` action
    version: int = 1
    counters: dict[str, int] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    @property
    def definition(self) -> AutomationCreate:
        return AutomationCreate.model_validate(
            {
                "name": self.name,
                "active": self.active,
                "trigger": self.trigger,
                "conditions": self.conditions,
                "actions": self.actions,
                "reenroll": self.reenroll,
            }
        )

    def changed(self, updated_at: str, **values: Any) -> Automation:
        return replace(self, **values, updated_at=updated_at, version=self.version + 1)

    def record(self) -> dict[str, Any]:
        """As the API shows it: never the secret nor its ARN."""
        return {
            "id": self.id,
            "name": self.name,
            "active": self.active,
            "trigger": self.trigger,
            "conditions": self.conditions,
            "actions": self.actions,
            "reenroll": self.reenroll,
            "runs": {name: self.counters.get(name, 0) for name in ("total", *COUNTED)},
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def attributes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _STORED}


_STORED = tuple(name for name in Automation.__dataclass_fields__ if name != "counters")


def _table() -> str:
    return get_settings().workspace_table


def counters_key(tenant_id: str, automation_id: int) -> dict[str, Any]:
    return keys.key(keys.partition(tenant_id), f"COUNTERS#{KIND}#{keys.padded(automation_id)}")


def enrollment_key(tenant_id: str, automation_id: int, lead_id: str) -> dict[str, Any]:
    return keys.key(f"{keys.partition(tenant_id)}#AUTOMATION#{automation_id}#ENROLLED", lead_id)


def _from(attributes: dict[str, Any], counters: dict[str, Any] | None) -> Automation:
    counted = {name: int(value) for name, value in (counters or {}).items() if name in ("total", *COUNTED)}
    return Automation(**{name: attributes[name] for name in _STORED if name in attributes}, counters=counted)


def get(tenant_id: str, automation_id: int) -> Automation | None:
    """ONE BatchGetItem (strongly consistent): the automation and its counters."""
    table, wanted = _table(), [keys.object_key(tenant_id, KIND, automation_id), counters_key(tenant_id, automation_id)]
    found = aws.dynamodb().batch_get_item(RequestItems={table: {"Keys": wanted, "ConsistentRead": True}})
    by_sk = {item["sk"]["S"]: items.plain(item) for item in found["Responses"].get(table, [])}
    automation = by_sk.get(wanted[0]["sk"]["S"])
    return _from(automation, by_sk.get(wanted[1]["sk"]["S"])) if automation else None


def require(tenant_id: str, automation_id: int) -> Automation:
    found = get(tenant_id, automation_id)
    if found is None:
        raise errors.NotFound("No such automation.")
    return found


def _query(tenant_id: str, prefix: str) -> list[dict[str, Any]]:
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {":pk": {"S": keys.partition(tenant_id)}, ":prefix": {"S": prefix}},
    }
    found: list[dict[str, Any]] = []
    while True:
        page = aws.dynamodb().query(**query)
        found += [items.plain(item) for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def all_automations(tenant_id: str, *, with_counters: bool = True) -> list[Automation]:
    """Every automation of the tenant in id order: ONE Query (and one for the counters when asked)."""
    counters = (
        {keys.id_of(item["sk"].split("#", 1)[1]): item for item in _query(tenant_id, f"COUNTERS#{KIND}#")}
        if with_counters
        else {}
    )
    return [_from(item, counters.get(keys.id_of(item["sk"]))) for item in _query(tenant_id, keys.object_prefix(KIND))]


def put(automation: Automation, *, expected_version: int | None) -> None:
    """ONE PutItem, conditional on the version read (None: a creation). `errors.Conflict` if it changed."""
    entry = items.versioned(
        {
            "TableName": _table(),
            "Item": {
                **items.to_item(automation.attributes()),
                **keys.object_key(automation.tenant_id, KIND, automation.id),
            },
        },
        expected_version,
    )
    try:
        aws.dynamodb().put_item(**entry)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise errors.Conflict("The automation was changed by another request.") from error
        raise


def delete(automation: Automation) -> None:
    """ONE DeleteItem conditional on the version read; the counters go too (their runs expire by TTL)."""
    entry = items.versioned(
        {"TableName": _table(), "Key": keys.object_key(automation.tenant_id, KIND, automation.id)}, automation.version
    )
    try:
        aws.dynamodb().delete_item(**entry)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise errors.Conflict("The automation was changed by another request.") from error
        raise
    aws.dynamodb().delete_item(TableName=_table(), Key=counters_key(automation.tenant_id, automation.id))


def count_run(tenant_id: str, automation_id: int, outcome: str) -> None:
    """ONE UpdateItem: the total and the outcome's counter."""
    aws.dynamodb().update_item(
        TableName=_table(),
        Key=counters_key(tenant_id, automation_id),
        UpdateExpression="ADD #total :one, #outcome :one",
        ExpressionAttributeNames={"#total": "total", "#outcome": outcome},
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


def next_turn(tenant_id: str, automation_id: int, step: int) -> int:
    """The round-robin step's next turn (0, 1, 2, ...): ONE atomic UpdateItem ADD, so concurrent runs never
    take the same turn."""
    answer = aws.dynamodb().update_item(
        TableName=_table(),
        Key=counters_key(tenant_id, automation_id),
        UpdateExpression="ADD #turn :one",
        ExpressionAttributeNames={"#turn": f"turn_{step}"},
        ExpressionAttributeValues={":one": {"N": "1"}},
        ReturnValues="UPDATED_NEW",
    )
    return int(answer["Attributes"][f"turn_{step}"]["N"]) - 1


def enroll_once(tenant_id: str, automation_id: int, lead_id: str, event_id: str, at: str) -> bool:
    """ONE conditional PutItem: True the first time the lead enrolls in the automation (and again for the same
    event, so a redelivered record that was interrupted goes on), False for any later event."""
    try:
        aws.dynamodb().put_item(
            TableName=_table(),
            Item={
                **enrollment_key(tenant_id, automation_id, lead_id),
                "event_id": {"S": event_id},
                "enrolled_at": {"S": at},
            },
            ConditionExpression="attribute_not_exists(pk) OR event_id = :event",
            ExpressionAttributeValues={":event": {"S": event_id}},
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
