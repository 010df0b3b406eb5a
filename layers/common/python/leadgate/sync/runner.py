"""One sync run of a registered connection: what the sync function and `leadgate sync run` call.

`run_connection(connection_id, budget_seconds)`:

1. Reads the connection (consistently) and its secrets; a missing, disabled or sync-disabled connection is a
   `failed` run with the reason, recorded as every run is.
2. Builds the `ConnectorConfig` (the registry's entry and its secrets, as plain strings) and the connector,
   with the provider's client from `leadgate.integrations.clients`: OAuth tokens it refreshes are stored in
   the connection's secret by its `TokenStore` BEFORE they are used (compare-and-swap; a lost race uses the
   winner's tokens).
3. Runs `run_sync`. A provider's 401 after a refresh (the run's error starts with `UNAUTHORIZED`) disables
   the connection's sync: `sync_disabled_reason` is set through the registry and its schedule switched off.
   `leadgate connections set-schedule ID --every ...` enables it again (once the credentials are fixed).
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from leadgate import clock
from leadgate.connections import secrets as connection_secrets
from leadgate.connections.models import Connection
from leadgate.connections.registry import ConnectionRegistry
from leadgate.events import actor
from leadgate.integrations import clients
from leadgate.integrations.errors import PermanentError
from leadgate.leads.ids import new_ulid
from leadgate.sync.connector import Connector, ConnectorConfig, ConnectorError
from leadgate.sync.engine import Progress, run_sync
from leadgate.sync.registry import connector_for
from leadgate.sync.runs import UNAUTHORIZED, RunRecord, iso, put_run
from leadgate.sync.schedules import Schedules

logger = Logger(child=True)


def run_connection(
    connection_id: str,
    *,
    budget_seconds: float,
    registry: ConnectionRegistry | None = None,
    schedules: Schedules | None = None,
    progress: Progress | None = None,
    lease_seconds: float | None = None,
    run_id: str | None = None,
) -> RunRecord:
    registry = registry or ConnectionRegistry.from_settings()
    connection = registry.get(connection_id, fresh=True)
    if connection is None:
        raise ConnectorError(f"No connection {connection_id}.")
    refusal = _refusal(connection)
    if refusal:
        return _failed(connection, refusal)
    try:
        versioned = connection_secrets.get_secrets(connection)
    except connection_secrets.MissingSecrets:
        return _failed(connection, "The connection has no secret.")
    config = connector_config(connection, versioned.secrets)
    try:
        connector = connector_of(connection, versioned, config)
    except PermanentError as exc:
        return _failed(connection, str(exc))
    with actor.acting_as(actor.integration(connection.connection_id)):
        record = run_sync(
            config,
            connector,
            budget_seconds=budget_seconds,
            progress=progress,
            lease_seconds=lease_seconds,
            run_id=run_id,
        )
    if record.status == "failed" and (record.error or "").startswith(UNAUTHORIZED):
        disable_sync(connection, record.error or UNAUTHORIZED, registry=registry, schedules=schedules)
    return record


def connector_of(
    connection: Connection, versioned: connection_secrets.VersionedSecrets, config: ConnectorConfig
) -> Connector:
    if connection.provider.value != "hubspot":
        return connector_for(config)
    store = clients.TokenStore(connection, versioned)
    client = clients.hubspot_client(connection.base_url, versioned.secrets, on_tokens=store)
    return connector_for(config, hubspot=client)


def connector_config(connection: Connection, secrets: connection_secrets.ConnectionSecrets) -> ConnectorConfig:
    plain = {
        name: value.get_secret_value() if hasattr(value, "get_secret_value") else value
        for name, value in secrets.model_dump(exclude_none=True).items()
    }
    if secrets.access_token_expires_at:
        plain["access_token_expires_at"] = secrets.access_token_expires_at.isoformat()
    return ConnectorConfig(
        tenant_id=connection.tenant_id,
        connection_id=connection.connection_id,
        provider=connection.provider.value,
        base_url=connection.base_url or "",
        settings=connection.settings.model_dump(mode="json"),
        secrets={name: value for name, value in plain.items() if isinstance(value, str)},
        created_at=connection.created_at.isoformat(timespec="milliseconds"),
    )


def disable_sync(
    connection: Connection, reason: str, *, registry: ConnectionRegistry, schedules: Schedules | None
) -> None:
    """Records why the connection's sync stopped and switches its schedule off."""
    registry.set_fields(connection.connection_id, sync_disabled_reason=reason[:500])
    if schedules is not None:
        schedules.disable(connection.connection_id)
    logger.warning("Sync disabled", extra={"connection_id": connection.connection_id, "reason": reason[:500]})


def _refusal(connection: Connection) -> str | None:
    if not connection.enabled:
        return "The connection is disabled."
    if connection.sync_disabled_reason:
        return f"Sync is disabled: {connection.sync_disabled_reason}"
    return None


def _failed(connection: Connection, error: str) -> RunRecord:
    now = clock.timestamp()
    record = RunRecord(
        run_id=new_ulid(clock.now()),
        tenant_id=connection.tenant_id,
        connection_id=connection.connection_id,
        provider=connection.provider.value,
        status="failed",
        started_at=iso(now),
        finished_at=iso(now),
        error=error,
    )
    put_run(record, now=now)
    return record
