"""The worker's side of one queue message: parse it, find its connection, apply it once.

`process_message(body)` returns the EventResult (applied, duplicate, ignored, failed, stale: all
acknowledged) or raises, so that SQS delivers the message again and, after `maxReceiveCount`, moves it to
the dead-letter queue: TransientError (throttling, 5xx, timeouts) and `PoisonMessage` (not a QueuedEvent,
so it cannot be recorded in the ledger; the dead-letter queue is where an operator sees it).

HubSpot events need the connection's API client (`leadgate.integrations.clients`): one per connection, kept
while the instance is warm and rebuilt when the connection's secret changes version. Secrets are read through
their cache, so a warm worker makes no Secrets Manager call per event. Refreshed OAuth tokens are stored by
the client's `TokenStore` before use; its calls never outrun the invocation's deadline (the transport).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aws_lambda_powertools import Logger
from pydantic import ValidationError

from leadgate.connections.models import Connection, Provider
from leadgate.connections.registry import get_connection
from leadgate.connections.secrets import MissingSecrets, VersionedSecrets, get_secrets
from leadgate.events import actor
from leadgate.integrations.clients import TokenStore, hubspot_client
from leadgate.integrations.errors import AuthenticationFailed, PermanentError
from leadgate.integrations.hubspot import Contact, HubSpotClient
from leadgate.webhooks.apply import EventResult, apply_event
from leadgate.webhooks.events import QueuedEvent

logger = Logger(child=True)


class PoisonMessage(Exception):
    """The message is not a QueuedEvent: it goes to the dead-letter queue after its retries."""


def process_message(body: str) -> EventResult:
    try:
        event = QueuedEvent.from_message(body)
    except ValidationError as error:
        problem = f"not a queued event: {error.error_count()} problem(s)"
        logger.error("Webhook message refused", extra={"event_id": _event_id(body), "reason": problem})
        raise PoisonMessage(problem) from None
    connection = get_connection(event.connection_id)
    fetch = _contact_fetcher(connection) if event.provider == "hubspot" else None
    with actor.acting_as(actor.integration(event.connection_id)):
        return apply_event(event, fetch)


def _event_id(body: str) -> str | None:
    """The event id a refused message names, if it names one, for the log."""
    try:
        message = json.loads(body)
    except ValueError:
        return None
    event_id = message.get("event_id") if isinstance(message, dict) else None
    return event_id if isinstance(event_id, str) else None


def _contact_fetcher(connection: Connection | None) -> Callable[[str], Contact]:
    def fetch(contact_id: str) -> Contact:
        if connection is None or connection.provider != Provider.HUBSPOT:
            raise PermanentError("the connection no longer exists")
        client = hubspot_clients.get(connection)
        try:
            return client.get_contact(contact_id)
        except AuthenticationFailed:
            # A cached credential may be stale (rotated elsewhere): read again, and try once more if it changed.
            if hubspot_clients.refresh(connection) is client:
                raise
            return hubspot_clients.get(connection).get_contact(contact_id)

    return fetch


@dataclass
class _Entry:
    client: HubSpotClient
    tokens: TokenStore  # holds the secret version the client was built on, or last stored


class HubSpotClients:
    """One HubSpotClient per connection for the instance's life, keyed by the secret version it uses."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self._lock = threading.Lock()

    def get(self, connection: Connection) -> HubSpotClient:
        current = _secrets(connection)
        with self._lock:
            entry = self._entries.get(connection.connection_id)
            if entry is None or entry.tokens.current.version_id != current.version_id:
                tokens = TokenStore(connection, current)
                entry = _Entry(hubspot_client(connection.base_url, current.secrets, on_tokens=tokens), tokens)
                self._entries[connection.connection_id] = entry
            return entry.client

    def refresh(self, connection: Connection) -> HubSpotClient:
        get_secrets(connection, force_fetch=True)
        return self.get(connection)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


hubspot_clients = HubSpotClients()


def _secrets(connection: Connection) -> VersionedSecrets:
    try:
        return get_secrets(connection)
    except MissingSecrets:
        raise PermanentError("the connection has no secret") from None
