"""The connector for a connection's provider: what a Lambda handler or the CLI builds a run from."""

from __future__ import annotations

from leadgate.sync.chatdealer import ChatDealerConnector
from leadgate.sync.connector import Connector, ConnectorConfig, ConnectorError
from leadgate.sync.hubspot import HubSpotConnector, TokensCallback
from leadgate.sync.intercom import IntercomConnector

CONNECTORS = {"intercom": IntercomConnector, "chatdealer": ChatDealerConnector}


def connector_for(config: ConnectorConfig, *, on_tokens: TokensCallback | None = None) -> Connector:
    """`on_tokens` stores OAuth tokens a connector refreshed (HubSpot's rotated refresh tokens)."""
    if config.provider == "hubspot":
        return HubSpotConnector(config, on_tokens=on_tokens)
    connector = CONNECTORS.get(config.provider)
    if connector is None:
        raise ConnectorError(f"Provider {config.provider!r} has no sync connector.")
    return connector(config)
