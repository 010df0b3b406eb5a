"""Receiving one webhook delivery: authenticate it, split it into events, queue them, say how many.

`receive(delivery)` returns the number of events queued, or raises the `leadgate.errors` type that says why not:

- `SignatureRefused` (`INVALID_SIGNATURE`) for an unknown or disabled connection, a missing or bad signature and a stale
  timestamp alike (same message; an unknown connection is still checked against a dummy secret so that it
  costs what a bad signature does). Refusals are counted (`leadgate.ratelimit.webhook_failures`): over
  the limit, `RateLimited` with `retry_after`.
- `MalformedInput` (`MALFORMED_DELIVERY`) for a body that is not what the provider sends (HubSpot: a JSON
  array of 1 to 100 events).
- `Unavailable` when the queue did not take every event (`leadgate.webhooks.queue`).

Nothing is written to DynamoDB on the accepting path: the connection (60 s) and its secret (5 min) are
read through their caches; the events are applied by the worker, once each (`leadgate.webhooks.ledger`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

from leadgate import errors
from leadgate.connections.models import Connection, HubSpotSettings, Provider, is_connection_id
from leadgate.connections.registry import get_connection
from leadgate.connections.secrets import MissingSecrets, get_secrets
from leadgate.ratelimit.webhook_failures import count_failure
from leadgate.webhooks import signatures
from leadgate.webhooks.events import MalformedDelivery, QueuedEvent, split_hubspot, split_intercom, split_standard
from leadgate.webhooks.queue import send_events

logger = Logger(child=True)

REFUSED_MESSAGE = "The webhook signature is missing or invalid."


@dataclass(frozen=True)
class Delivery:
    """One POST /webhooks/{connection_id} as received: the raw body bytes (and the JSON document the body rule
    parsed from them) and the URL the sender called."""

    connection_id: str
    method: str
    url: str  # scheme, host, stage and path, without the query
    body: bytes
    document: Any  # the parsed JSON
    headers: Mapping[str, str]
    source_ip: str
    query: Sequence[tuple[str, str]] = field(default_factory=tuple)


def receive(delivery: Delivery, *, now: datetime | None = None) -> int:
    """Queues the delivery's events and returns how many; raises on any refusal (nothing queued)."""
    now = now or datetime.now(UTC)
    connection = _connection(delivery.connection_id)
    try:
        if connection is None:
            signatures.burn(delivery.body)
            raise signatures.SignatureRejected("unknown or disabled connection")
        _authenticate(connection, delivery, now)
    except signatures.SignatureRejected as rejected:
        logger.info(
            "Webhook delivery refused",
            extra={"connection_id": delivery.connection_id, "reason": str(rejected), "source_ip": delivery.source_ip},
        )
        _count_failure(delivery)  # 429 once over the limit
        raise errors.SignatureRefused(REFUSED_MESSAGE) from None
    assert connection is not None
    events = _split(connection, delivery, now)
    send_events(events)
    logger.info("Webhook delivery queued", extra={"connection_id": connection.connection_id, "events": len(events)})
    return len(events)


def _count_failure(delivery: Delivery) -> None:
    """Fails open: when the counter cannot be reached, the refusal is still a 401, uncounted."""
    try:
        count_failure(delivery.connection_id, delivery.source_ip)
    except errors.RateLimited:
        raise
    except Exception:
        logger.exception("Counting a refused delivery failed; refused uncounted")


def _connection(connection_id: str) -> Connection | None:
    if not is_connection_id(connection_id):
        return None
    connection = get_connection(connection_id)
    return connection if connection is not None and connection.enabled else None


def _authenticate(connection: Connection, delivery: Delivery, now: datetime) -> None:
    try:
        secrets = get_secrets(connection).secrets
    except MissingSecrets:
        logger.error("A connection has no secret", extra={"connection_id": connection.connection_id})
        signatures.burn(delivery.body)
        raise signatures.SignatureRejected("the connection has no secret") from None
    client_secret = secrets.client_secret.get_secret_value() if secrets.client_secret else signatures.DUMMY_SECRET
    if connection.provider == Provider.HUBSPOT:
        settings = connection.settings
        signatures.verify_hubspot(
            client_secret=client_secret,
            method=delivery.method,
            uri=signatures.hubspot_uri(delivery.url, delivery.query),
            body=delivery.body,
            headers=delivery.headers,
            now=now,
            allow_unversioned=isinstance(settings, HubSpotSettings) and settings.allow_unversioned_signatures,
        )
    elif connection.provider == Provider.INTERCOM:
        signatures.verify_intercom(client_secret=client_secret, body=delivery.body, headers=delivery.headers)
    elif connection.provider == Provider.STANDARD:
        signatures.verify_standard(secrets=secrets.signing_secrets(now), body=delivery.body, headers=delivery.headers)
    else:  # Chat Dealer sends no webhooks
        signatures.burn(delivery.body)
        raise signatures.SignatureRejected(f"{connection.provider} connections take no webhooks")


def _split(connection: Connection, delivery: Delivery, now: datetime) -> list[QueuedEvent]:
    body = delivery.document
    ids = {"connection_id": connection.connection_id, "tenant_id": connection.tenant_id, "received_at": now}
    try:
        if connection.provider == Provider.HUBSPOT:
            return split_hubspot(body, **ids)
        if connection.provider == Provider.INTERCOM:
            return split_intercom(body, **ids)
        webhook_id = signatures.lower_headers(delivery.headers).get("webhook-id", "")
        return split_standard(webhook_id, body, **ids)
    except MalformedDelivery as error:
        raise errors.MalformedInput(
            f"The body is not a {connection.provider} delivery.",
            code="MALFORMED_DELIVERY",
            errors={"body": [str(error)]},
        ) from error
