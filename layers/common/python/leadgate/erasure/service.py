"""POST /api/v1/leads/{id}/erase: the person's data removed for good, a tombstone kept (docs/privacy.md).

1. Read the lead (404 unknown, 410 already erased) and the tenant's connections (ONE Query).
2. Every eraser (leadgate.erasure.erasers): inquiries, consent records, sync content hashes.
3. HubSpot's GDPR delete of the linked contact, the outcome recorded (leadgate.erasure.providers).
4. ONE transaction conditional on the version read: the lead's item becomes its tombstone (`erased_at`, no
   personal field), its identities, tags and search tokens go, its counts move, the erasure record is put.
   A lead write between 1 and 4 (an inquiry arriving) fails the condition: the whole erasure runs again on
   the lead as it is now, so nothing written meanwhile survives. Every step is idempotent.

Nothing here logs the lead's data: the lead id, counts and outcomes only.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger

from leadgate import clock, errors
from leadgate.connections.registry import ConnectionRegistry
from leadgate.erasure import erasers, providers
from leadgate.leads import repository
from leadgate.leads.items import ERASED_AT
from leadgate.leads.records import StoredLead, iso
from leadgate.leads.service import get_lead

logger = Logger(child=True)

MAX_ATTEMPTS = 3


def erase_lead(tenant_id: str, lead_id: str, client_id: str) -> dict[str, Any]:
    """Erase the lead; its erasure record (what `GET /api/v1/erasures` lists)."""
    connections, deleted_in_providers = None, None
    for _ in range(MAX_ATTEMPTS):
        current = get_lead(tenant_id, lead_id)
        if connections is None:
            connections = tuple(ConnectionRegistry.from_settings().list_all(tenant_id))
        target = erasers.Target(tenant_id, current.id, dict(current.external_ids), connections)
        removed = erasers.run(target) | _in_the_lead_item(current)
        if deleted_in_providers is None:  # once: a second delete would only find the contact gone
            deleted_in_providers = providers.delete_in_providers(target)
        erasure = {
            "lead_id": current.id,
            ERASED_AT: iso(clock.now()),
            "client_id": client_id,
            "removed": removed,
            "providers": deleted_in_providers,
        }
        try:
            repository.erase(tenant_id, current, erasure)
        except repository.ConcurrentModification:
            continue
        logger.info("Lead erased", extra={"lead_id": current.id, "removed": removed})
        return erasure
    raise errors.Conflict("The lead is being changed by other requests; retry the erasure shortly.", retry_after=1)


def _in_the_lead_item(lead: StoredLead) -> dict[str, int]:
    """What the final transaction removes with the lead's data: its identity, tag and search token items."""
    identities = sum(1 for value in (lead.email_normalized, lead.phone_e164) if value) + len(lead.external_ids)
    return {"identities": identities, "tags": len(lead.data.tags), "search_tokens": len(lead.search_tokens)}
