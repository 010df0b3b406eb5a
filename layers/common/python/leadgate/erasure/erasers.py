"""The erasers: one per store that may hold a lead's personal data, each removing the lead's items from it.

An eraser takes the `Target` (who to erase) and answers how many items it removed; the counts go into the
erasure's tombstone record. Each is idempotent (an erasure cut short is run again whole). A store added later
is one more line in `ERASERS`; form submissions are inquiries (their `form_id` is an index attribute of the
inquiry item), so `inquiries` removes them.

The lead's own item, identities, tags and search tokens are not here: they change in the erasure's final
transaction (leadgate.leads.repository.erase), after every eraser has run.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadgate import aws
from leadgate.connections.models import Connection
from leadgate.events import journal
from leadgate.leads import keys, repository
from leadgate.outbound import deliveries, endpoints
from leadgate.sync import keys as sync_keys


@dataclass(frozen=True)
class Target:
    """The lead to erase: its tenant, id, links to other systems, and the tenant's connections (read once)."""

    tenant_id: str
    lead_id: str
    external_ids: Mapping[str, str] = field(default_factory=dict)
    connections: tuple[Connection, ...] = ()


Eraser = Callable[[Target], int]


def inquiries(target: Target) -> int:
    """Every inquiry of the lead: the payloads as sent, webhook events' and synced records' included."""
    return repository.delete_prefixed(target.tenant_id, keys.inquiry_prefix(target.lead_id))


def consents(target: Target) -> int:
    """The lead's consent records (they hold the page and the address the consent came from)."""
    return repository.delete_prefixed(target.tenant_id, keys.consent_prefix(target.lead_id))


def stage_moves(target: Target) -> int:
    """The lead's stage history (no personal data, but nothing of an erased lead is kept that names it)."""
    return repository.delete_prefixed(target.tenant_id, keys.stage_move_prefix(target.lead_id))


def webhook_deliveries(target: Target) -> int:
    """The lead's events as queued or sent to the tenant's webhook endpoints (a delivery keeps the event's body).
    Runs before `events`, which it reads the lead's event ids from."""
    endpoint_ids = [endpoint.id for endpoint in endpoints.all_endpoints(target.tenant_id)]
    event_ids = journal.lead_event_ids(target.tenant_id, target.lead_id)
    return deliveries.erase(target.tenant_id, endpoint_ids, event_ids)


def events(target: Target) -> int:
    """The lead's events in the journal (each carries the lead as the API showed it)."""
    return journal.erase_lead(target.tenant_id, target.lead_id)


def sync_hashes(target: Target) -> int:
    """The content hash of the lead's record in each linked provider, per connection of that provider: ONE
    DeleteItem each (a hash of the person's data, and the link back to the lead)."""
    removed = 0
    for connection in target.connections:
        external_id = target.external_ids.get(connection.provider.value)
        if external_id is None:
            continue
        key = sync_keys.key(target.tenant_id, connection.connection_id, sync_keys.hash_sk(external_id))
        answer = aws.dynamodb().delete_item(TableName=sync_keys.table(), Key=key, ReturnValues="ALL_OLD")
        removed += bool(answer.get("Attributes"))
    return removed


# name (in the tombstone's `removed` counts) -> eraser, run in this order.
ERASERS: tuple[tuple[str, Eraser], ...] = (
    ("inquiries", inquiries),
    ("consents", consents),
    ("stage_moves", stage_moves),
    ("webhook_deliveries", webhook_deliveries),
    ("events", events),
    ("sync_hashes", sync_hashes),
)


def run(target: Target) -> dict[str, Any]:
    """Every eraser, in order: what each removed."""
    return {name: eraser(target) for name, eraser in ERASERS}
