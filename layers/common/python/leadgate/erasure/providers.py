"""Deleting the person in linked providers: HubSpot's GDPR delete of the linked contact, through each of the
tenant's HubSpot connections (their client and OAuth tokens: leadgate.integrations.clients).

The outcome is recorded on the erasure, never raised: `deleted`, `not_found` (HubSpot has no such contact:
deleted before), or `failed` with the error's kind and HTTP status (no message: it may quote the contact).
A failure leaves the erasure done here; an operator repeats the delete in HubSpot from the record.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from leadgate.connections import secrets as connection_secrets
from leadgate.connections.models import Provider
from leadgate.erasure.erasers import Target
from leadgate.integrations import clients
from leadgate.integrations.errors import IntegrationError, ProviderNotFound

logger = Logger(child=True)

HUBSPOT = Provider.HUBSPOT.value


def delete_in_providers(target: Target) -> list[dict[str, Any]]:
    """ONE GDPR delete per enabled HubSpot connection of the tenant, when the lead is linked to HubSpot."""
    contact_id = target.external_ids.get(HUBSPOT)
    if contact_id is None:
        return []
    outcomes = []
    for connection in target.connections:
        if connection.provider.value != HUBSPOT or not connection.enabled:
            continue
        outcome = {"provider": HUBSPOT, "connection_id": connection.connection_id}
        try:
            versioned = connection_secrets.get_secrets(connection)
            store = clients.TokenStore(connection, versioned)
            client = clients.hubspot_client(connection.base_url, versioned.secrets, on_tokens=store)
            client.gdpr_delete_contact(contact_id)
            outcome["status"] = "deleted"
        except ProviderNotFound:
            outcome["status"] = "not_found"
        except (IntegrationError, connection_secrets.MissingSecrets, ClientError, BotoCoreError) as error:
            outcome |= {"status": "failed", "error": type(error).__name__}
            if isinstance(error, IntegrationError) and error.status:
                outcome["http_status"] = error.status
            logger.warning("HubSpot GDPR delete failed", extra={"connection_id": connection.connection_id, **outcome})
        outcomes.append(outcome)
    return outcomes
