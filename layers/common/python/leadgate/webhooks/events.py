"""Queue messages: one `QueuedEvent` per provider event, and the splitters that make them from a delivery.

The receiver verifies a delivery, splits it with `split_hubspot` / `split_intercom` / `split_standard`,
and sends each event's `to_message()` to the queue; the worker reads them back with `from_message`. The
provider's event is kept as received (`event`), so nothing is lost between the two.

- HubSpot: a JSON array of up to 100 events (`eventId`, `subscriptionType`, `objectId`, `portalId`,
  `occurredAt` in Unix milliseconds), ids only.
- Intercom: one notification `{type: "notification_event", id, topic, app_id, created_at, data: {item}}`.
- Standard Webhooks: `{type, timestamp, data}`, identified by the `webhook-id` header.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr, StringConstraints, TypeAdapter
from pydantic import ValidationError as PydanticValidationError

from leadgate import clock
from leadgate.instants import Instant
from leadgate.leads.records import PAYLOAD_LIMITS
from leadgate.text import JsonObject

Provider = Literal["hubspot", "intercom", "standard", "chatdealer"]
MAX_HUBSPOT_EVENTS = 100
# The last second of year 9999 (UTC) as a Unix time: a later provider timestamp has no datetime.
LAST_UNIX_SECOND = 253_402_300_799

Id = Annotated[StrictStr, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class MalformedDelivery(ValueError):
    """The body is not what the provider sends: the receiver answers 400 and queues nothing."""


# An event is stored on the lead as its inquiry's payload: it keeps the same rule from the receiver on.
EventJson = JsonObject(PAYLOAD_LIMITS)


class QueuedEvent(BaseModel):
    """One provider event on its way to the worker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connection_id: Id
    tenant_id: Id
    provider: Provider
    event_id: Id  # HubSpot `eventId`, Intercom notification `id`, Standard Webhooks `webhook-id`
    event_type: Id  # `subscriptionType`, `topic`, `type`
    occurred_at: Instant  # when the provider says the change happened
    received_at: Instant  # when the receiver accepted the delivery
    event: EventJson  # the provider's event as received

    def to_message(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_message(cls, body: str) -> QueuedEvent:
        return cls.model_validate_json(body)


class _HubSpotEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    eventId: int | Id  # noqa: N815 - HubSpot's names
    subscriptionType: Id  # noqa: N815
    objectId: int | Id  # noqa: N815
    occurredAt: int = Field(ge=0, le=LAST_UNIX_SECOND * 1000 + 999)  # noqa: N815


class _IntercomNotification(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["notification_event"]
    id: Id
    topic: Id
    created_at: int = Field(ge=0, le=LAST_UNIX_SECOND)
    data: dict[str, Any]


class _StandardEvent(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Id
    timestamp: Instant | None = None
    data: dict[str, Any]


_hubspot_batch = TypeAdapter(Annotated[list[dict[str, Any]], Field(min_length=1, max_length=MAX_HUBSPOT_EVENTS)])


def split_hubspot(
    body: Any, *, connection_id: str, tenant_id: str, received_at: datetime | None = None
) -> list[QueuedEvent]:
    """A HubSpot delivery (the parsed JSON array) as one QueuedEvent per event."""
    received = received_at or clock.now()
    raw_events = _valid(_hubspot_batch, body)
    queued = []
    for raw in raw_events:
        event = _valid(TypeAdapter(_HubSpotEvent), raw)
        queued.append(
            QueuedEvent(
                connection_id=connection_id,
                tenant_id=tenant_id,
                provider="hubspot",
                event_id=str(event.eventId),
                event_type=event.subscriptionType,
                occurred_at=datetime.fromtimestamp(event.occurredAt / 1000, UTC),
                received_at=received,
                event=raw,
            )
        )
    return queued


def split_intercom(
    body: Any, *, connection_id: str, tenant_id: str, received_at: datetime | None = None
) -> list[QueuedEvent]:
    """An Intercom notification (parsed JSON) as its one QueuedEvent."""
    notification = _valid(TypeAdapter(_IntercomNotification), body)
    return [
        QueuedEvent(
            connection_id=connection_id,
            tenant_id=tenant_id,
            provider="intercom",
            event_id=notification.id,
            event_type=notification.topic,
            occurred_at=datetime.fromtimestamp(notification.created_at, UTC),
            received_at=received_at or clock.now(),
            event=body,
        )
    ]


def split_standard(
    webhook_id: str, body: Any, *, connection_id: str, tenant_id: str, received_at: datetime | None = None
) -> list[QueuedEvent]:
    """A Standard Webhooks message (the verified, parsed JSON) as its one QueuedEvent, keyed by `webhook-id`.
    Without a `timestamp` in the body, the change happened when it was received."""
    message = _valid(TypeAdapter(_StandardEvent), body)
    received = received_at or clock.now()
    return [
        QueuedEvent(
            connection_id=connection_id,
            tenant_id=tenant_id,
            provider="standard",
            event_id=_valid(TypeAdapter(Id), webhook_id),
            event_type=message.type,
            occurred_at=message.timestamp or received,
            received_at=received,
            event=body,
        )
    ]


def _valid(adapter: TypeAdapter[Any], value: Any) -> Any:
    try:
        return adapter.validate_python(value)
    except PydanticValidationError as error:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}" for e in error.errors())
        raise MalformedDelivery(problems) from error
