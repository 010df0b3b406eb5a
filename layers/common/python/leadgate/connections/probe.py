"""`POST /api/v1/integrations/{id}/test`: do the provider's credentials work? One authenticated call through the
provider clients the sync runs use (HubSpot: one contact search; Intercom: one contact search; Chat Dealer: one
`visitor/get` of today's window), answered as an outcome, never as our failure: a provider that refuses, fails
or does not answer is `ok: false` with its status and message."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadgate import clock
from leadgate.connections import secrets as connection_secrets
from leadgate.connections.models import Connection, Provider
from leadgate.integrations import clients
from leadgate.integrations.errors import AuthenticationFailed, IntegrationError
from leadgate.sync.connector import ConnectorError

PROBE_SECONDS = 8.0  # well inside the function's timeout and API Gateway's 29 s


@dataclass(frozen=True)
class ProbeResult:
    ok: bool
    message: str
    provider_status: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message, "provider_status": self.provider_status}


def probe(connection: Connection) -> ProbeResult:
    if connection.provider is Provider.STANDARD:
        return ProbeResult(True, "A Standard Webhooks integration has no provider API to call; it only receives.")
    try:
        versioned = connection_secrets.get_secrets(connection, force_fetch=True)
    except connection_secrets.MissingSecrets:
        return ProbeResult(False, "The integration has no secret.")
    budget = clock.Budget(clock.timestamp, PROBE_SECONDS)
    try:
        _call(connection, versioned, budget)
    except AuthenticationFailed as exc:
        return ProbeResult(False, f"The provider refused the credentials: {exc}", exc.status)
    except IntegrationError as exc:
        return ProbeResult(False, f"The provider call failed: {exc}", exc.status)
    except ConnectorError as exc:
        return ProbeResult(False, f"The provider call failed: {exc}")
    return ProbeResult(True, "The provider accepted the credentials.", 200)


def _call(connection: Connection, versioned: connection_secrets.VersionedSecrets, budget: clock.Budget) -> None:
    if connection.provider is Provider.HUBSPOT:
        # OAuth tokens a refresh earns are stored as a run's are (TokenStore: compare-and-swap).
        store = clients.TokenStore(connection, versioned)
        client = clients.hubspot_client(connection.base_url, versioned.secrets, on_tokens=store)
        client.search_contacts_modified_since(clock.now(), limit=1, budget=budget)
        return
    from leadgate.sync import chatdealer
    from leadgate.sync.registry import connector_for
    from leadgate.sync.runner import connector_config

    connector = connector_for(connector_config(connection, versioned.secrets))
    # The first page of a run from now: one call (Intercom's search since now; Chat Dealer's window of today).
    if connection.provider is Provider.INTERCOM:
        checkpoint: dict[str, Any] = {"since": int(clock.timestamp())}
    else:
        checkpoint = {"next_from": clock.now().astimezone(chatdealer.JST).strftime(chatdealer.DATE_FORMAT)}
    next(iter(connector.fetch_changes(checkpoint, budget)))
