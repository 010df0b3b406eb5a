"""Webhook endpoints: the record as stored and shown, the request bodies, event type patterns, and the store.

An endpoint's signing secret is never here: it lives in Secrets Manager (`leadgate.outbound.secrets`); the item
holds its ARN. `active: false` pauses the endpoint (its deliveries wait, `paused`); the sender also sets it
false with a `disabled_reason` (410 Gone, or failing for 5 days), and a PATCH to `active: true` clears the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Annotated, Any

from botocore.exceptions import ClientError
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints, field_validator, model_validator

from leadgate import aws, errors
from leadgate.outbound import keys
from leadgate.settings import get_settings
from leadgate.text import Text
from leadgate.workspace import items
from leadgate.workspace.keys import partition

MAX_ENDPOINTS = 50  # per tenant: the dispatcher reads them all for every event
MAX_EVENT_TYPES = 50
# `lead.created`, `lead.*`, `*`: dotted lowercase names, a trailing `.*` matching a whole family.
EVENT_TYPE_PATTERN = r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$"
_EVENT_TYPE = re.compile(EVENT_TYPE_PATTERN)

EventTypePattern = Annotated[str, StringConstraints(pattern=EVENT_TYPE_PATTERN, max_length=100)]
Url = Annotated[str, StringConstraints(min_length=1, max_length=2048)]
Description = Text(500, min_length=0, multiline=True)


def matches(patterns: list[str], event_type: str) -> bool:
    """Whether an event type is one the patterns ask for (`*`, `lead.*`, or the exact type)."""
    for pattern in patterns:
        if pattern in {"*", event_type}:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


@dataclass(frozen=True)
class Endpoint:
    tenant_id: str
    id: int
    url: str
    event_types: list[str]
    description: str
    active: bool
    created_at: str
    updated_at: str
    secret_arn: str = ""
    rate_limit: int | None = None
    disabled_reason: str | None = None
    failing_since: str | None = None  # the first failed attempt since the last success
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def wants(self, event_type: str) -> bool:
        return matches(self.event_types, event_type)

    def changed(self, updated_at: str, **values: Any) -> Endpoint:
        return replace(self, **values, updated_at=updated_at, version=self.version + 1)

    def record(self) -> dict[str, Any]:
        """As the API shows it: never the secret nor its ARN."""
        return {
            "id": self.id,
            "url": self.url,
            "event_types": list(self.event_types),
            "description": self.description,
            "active": self.active,
            "rate_limit": self.rate_limit,
            "disabled_reason": self.disabled_reason,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }

    def attributes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _STORED}


_STORED = tuple(Endpoint.__dataclass_fields__)


class EndpointCreate(BaseModel):
    """POST /api/v1/webhook-endpoints."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Url = Field(description="https (loopback and http only on the local stack); checked against SSRF.")
    event_types: list[EventTypePattern] = Field(
        default_factory=lambda: ["*"],
        max_length=MAX_EVENT_TYPES,
        description="Event types to deliver; `lead.*` matches a family, `*` everything.",
    )
    description: Description = ""
    active: StrictBool = True
    rate_limit: Annotated[int, Field(strict=True, ge=1, le=1000)] | None = Field(
        default=None, description="Deliveries per second at most; one over it waits a second."
    )

    @field_validator("event_types")
    @classmethod
    def _distinct(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("Name at least one event type (or `*`).")
        return list(dict.fromkeys(value))


class EndpointPatch(BaseModel):
    """PATCH /api/v1/webhook-endpoints/{id}: only the fields sent change; `rate_limit: null` removes the limit,
    no other field may be null."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _only_rate_limit_is_nullable(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            nulls = sorted(name for name, value in raw.items() if value is None and name != "rate_limit")
            if nulls:
                raise errors.ValidationFailed(errors={name: ["This field may not be null."] for name in nulls})
        return raw

    url: Url | None = None
    event_types: list[EventTypePattern] | None = Field(default=None, max_length=MAX_EVENT_TYPES)
    description: Description | None = None
    active: StrictBool | None = None
    rate_limit: Annotated[int, Field(strict=True, ge=1, le=1000)] | None = None

    @field_validator("event_types")
    @classmethod
    def _distinct(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise ValueError("Name at least one event type (or `*`).")
        return list(dict.fromkeys(value)) if value is not None else None


# ------------------------------------------------------------------ store


def _table() -> str:
    return get_settings().outbound_webhooks_table


def endpoint_from(attributes: dict[str, Any]) -> Endpoint:
    return Endpoint(**{name: attributes[name] for name in _STORED if name in attributes})


def get(tenant_id: str, endpoint_id: int) -> Endpoint | None:
    """ONE GetItem, strongly consistent."""
    item = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=keys.endpoint_key(tenant_id, endpoint_id), ConsistentRead=True)
        .get("Item")
    )
    return endpoint_from(items.plain(item)) if item else None


def require(tenant_id: str, endpoint_id: int) -> Endpoint:
    found = get(tenant_id, endpoint_id)
    if found is None:
        raise errors.NotFound("No such webhook endpoint.")
    return found


def all_endpoints(tenant_id: str) -> list[Endpoint]:
    """Every endpoint of the tenant in id order: ONE Query (at most MAX_ENDPOINTS small items)."""
    answer = aws.dynamodb().query(
        TableName=_table(),
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": partition(tenant_id)}, ":prefix": {"S": keys.ENDPOINT_PREFIX}},
    )
    return [endpoint_from(items.plain(item)) for item in answer.get("Items", [])]


def put(endpoint: Endpoint, *, expected_version: int | None) -> None:
    """ONE PutItem, conditional on the version read (None: a creation). `errors.Conflict` if it changed."""
    entry = items.versioned(
        {
            "TableName": _table(),
            "Item": {**items.to_item(endpoint.attributes()), **keys.endpoint_key(endpoint.tenant_id, endpoint.id)},
        },
        expected_version,
    )
    try:
        aws.dynamodb().put_item(**entry)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise errors.Conflict("The webhook endpoint was changed by another request.") from error
        raise


def delete(endpoint: Endpoint) -> None:
    try:
        aws.dynamodb().delete_item(
            **items.versioned(
                {"TableName": _table(), "Key": keys.endpoint_key(endpoint.tenant_id, endpoint.id)}, endpoint.version
            )
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise errors.Conflict("The webhook endpoint was changed by another request.") from error
        raise


def note_failure(endpoint: Endpoint, at: str) -> str:
    """Records that a delivery failed (keeps the first failure since the last success); returns `failing_since`."""
    answer = aws.dynamodb().update_item(
        TableName=_table(),
        Key=keys.endpoint_key(endpoint.tenant_id, endpoint.id),
        UpdateExpression="SET failing_since = if_not_exists(failing_since, :at)",
        ConditionExpression="attribute_exists(pk)",
        ExpressionAttributeValues={":at": {"S": at}},
        ReturnValues="ALL_NEW",
    )
    return answer["Attributes"]["failing_since"]["S"]


def note_success(endpoint: Endpoint) -> None:
    """Clears `failing_since` (only when set: a healthy endpoint's deliveries write nothing here)."""
    if endpoint.failing_since is None:
        return
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key=keys.endpoint_key(endpoint.tenant_id, endpoint.id),
            UpdateExpression="REMOVE failing_since",
            ConditionExpression="attribute_exists(failing_since)",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise


def disable(endpoint: Endpoint, reason: str, at: str) -> bool:
    """Sets an active endpoint inactive with a reason (the sender: 410, or failing for 5 days), bumping its version;
    ONE conditional UpdateItem. False when it was already inactive or is gone (another attempt disabled it first,
    or a user paused or deleted it): a user's pause is not overwritten with a reason."""
    try:
        aws.dynamodb().update_item(
            TableName=_table(),
            Key=keys.endpoint_key(endpoint.tenant_id, endpoint.id),
            UpdateExpression="SET active = :false, disabled_reason = :reason, updated_at = :at ADD version :one",
            ConditionExpression="attribute_exists(pk) AND active = :true",
            ExpressionAttributeValues={
                ":false": {"BOOL": False},
                ":true": {"BOOL": True},
                ":reason": {"S": reason},
                ":at": {"S": at},
                ":one": {"N": "1"},
            },
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
