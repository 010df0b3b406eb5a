"""The shapes of the webhook endpoints API's answers, as its handler declares them (`responses=`); built as plain
JSON by `Endpoint.record()` and `Delivery.record()`. Records allow fields beyond the ones named here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadgate.envelopes import ListLinks, ListMeta


class EndpointRecord(BaseModel):
    """A webhook endpoint, never with its secret."""

    model_config = ConfigDict(extra="allow")

    id: int
    url: str
    event_types: list[str]
    description: str
    active: bool
    rate_limit: int | None
    disabled_reason: str | None = Field(description="Why the sender disabled it (410, failing for 5 days).")
    created_at: str
    updated_at: str


class CreatedEndpointRecord(EndpointRecord):
    secret: str = Field(description="The signing secret (`whsec_...`), answered this once.")


class EndpointEnvelope(BaseModel):
    data: EndpointRecord


class CreatedEndpointEnvelope(BaseModel):
    data: CreatedEndpointRecord


class EndpointPage(BaseModel):
    data: list[EndpointRecord]
    meta: ListMeta
    links: ListLinks


class SecretRecord(BaseModel):
    secret: str = Field(description="The new signing secret; the old one keeps signing beside it for 24 h.")
    previous_valid_until: str


class SecretEnvelope(BaseModel):
    data: SecretRecord


class AttemptRecord(BaseModel):
    model_config = ConfigDict(extra="allow")

    attempted_at: str
    status_code: int | None
    duration_ms: int
    response: str = Field(description="The answer's first 1 KB.")
    error: str | None
    trigger: Literal["scheduled", "manual", "recovery", "resumed"]


class DeliveryRecord(BaseModel):
    """One event to one endpoint, with its attempts (newest last); `id` is the event's id (`webhook-id`)."""

    model_config = ConfigDict(extra="allow")

    id: str
    endpoint_id: int
    event_id: str
    event_type: str
    status: Literal["pending", "succeeded", "failed", "paused"]
    attempt_count: int
    next_attempt_at: str | None
    created_at: str
    attempts: list[AttemptRecord]


class DeliveryEnvelope(BaseModel):
    data: DeliveryRecord


class DeliveryPage(BaseModel):
    data: list[DeliveryRecord]
    meta: ListMeta
    links: ListLinks


class RecoveryRecord(BaseModel):
    endpoint_id: int
    since: str | None
    status: Literal["queued"]


class RecoveryEnvelope(BaseModel):
    data: RecoveryRecord


def recovery(endpoint_id: int, since: str | None) -> dict[str, Any]:
    return {"endpoint_id": endpoint_id, "since": since, "status": "queued"}
