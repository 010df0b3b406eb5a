"""The providers leadgate connects to, as `GET /api/v1/integrations/types` lists them: each one's settings and
secrets as JSON Schema (generated from the models that validate them) and what it can do."""

from __future__ import annotations

from typing import Any

from leadgate.connections.credentials import credentials_schema
from leadgate.connections.models import SETTINGS_MODELS, Provider

# receive_webhooks: POST /webhooks/{id}; pull: a sync run reads the provider; push: a sync run writes to it.
CAPABILITIES: dict[Provider, dict[str, bool]] = {
    Provider.HUBSPOT: {"receive_webhooks": True, "pull": True, "push": True},
    Provider.INTERCOM: {"receive_webhooks": True, "pull": True, "push": False},
    Provider.CHATDEALER: {"receive_webhooks": False, "pull": True, "push": False},
    Provider.STANDARD: {"receive_webhooks": True, "pull": False, "push": False},
}
NAMES = {
    Provider.HUBSPOT: "HubSpot",
    Provider.INTERCOM: "Intercom",
    Provider.CHATDEALER: "Chat Dealer",
    Provider.STANDARD: "Standard Webhooks",
}


def syncs(provider: Provider) -> bool:
    capabilities = CAPABILITIES[provider]
    return capabilities["pull"] or capabilities["push"]


def integration_types() -> list[dict[str, Any]]:
    return [
        {
            "type": provider.value,
            "name": NAMES[provider],
            "capabilities": CAPABILITIES[provider],
            "settings_schema": SETTINGS_MODELS[provider].model_json_schema(),
            "secrets_schema": credentials_schema(provider.value),
        }
        for provider in Provider
    ]
