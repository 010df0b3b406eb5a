"""The connector for a connection's provider: what a Lambda handler or the CLI builds a run from."""

from __future__ import annotations

from leadgate.integrations.hubspot import HubSpotClient
from leadgate.sync.chatdealer import ChatDealerConnector
from leadgate.sync.connector import Connector, ConnectorConfig, ConnectorError
from leadgate.sync.hubspot import HubSpotConnector
from leadgate.sync.intercom import IntercomConnector

CONNECTORS = {"intercom": IntercomConnector, "chatdealer": ChatDealerConnector}


def connector_for(config: ConnectorConfig, *, hubspot: HubSpotClient | None = None) -> Connector:
    """`hubspot`: the connection's client (`leadgate.integrations.clients`), which stores the tokens it refreshes."""
    if config.provider == "hubspot":
        return HubSpotConnector(config, hubspot)
    connector = CONNECTORS.get(config.provider)
    if connector is None:
        raise ConnectorError(f"Provider {config.provider!r} has no sync connector.")
    return connector(config)
