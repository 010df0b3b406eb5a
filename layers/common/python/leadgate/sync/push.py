"""Which leads a run pushes to its provider, and what it keeps of the answer.

- **Selection, never a Scan**: ONE Query per page on the leads table's `by_updated` index (the tenant's
  leads by `updated_sort` = `{updated_at}#{id}`), after the push checkpoint `{"after": updated_sort}`, then ONE
  BatchGetItem of those leads. A connection's first push starts at its creation: leads older than the
  connection are not exported in bulk.
- **No echo**: a lead whose last write was the sync itself (a record pulled from this provider, or the id
  a push stored back) is not pushed. The sync's content-hash item of the lead's external id keeps the
  lead's `updated_at` right after that write (`lead_updated_at`); when it is still the lead's `updated_at`,
  nobody changed the lead in leadgate since, so there is nothing of ours to send.
- **Ids stored back**: the provider's id goes into the lead's `external_ids` (one conditional update), and
  the hash item records the lead's new `updated_at`, so that this very write is not pushed again. The
  contact our push changed comes back on the next pull once, is matched by its external id and changes
  nothing; that write, too, is recorded as the sync's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from leadgate.leads import repository
from leadgate.leads.records import StoredLead
from leadgate.sync.apply import Applied, read_applied, store_applied
from leadgate.sync.connector import ConnectorConfig, PushResult

logger = Logger(child=True)

PAGE_SIZE = 100
PUSHED_DIGEST = "pushed"  # a hash item the push created: no pulled content to compare yet


@dataclass(frozen=True)
class PushBatch:
    leads: list[StoredLead]  # to push (echoes left out)
    checkpoint: dict[str, Any]  # where the next selection starts once these are pushed
    has_more: bool
    applied: dict[str, Applied]  # the hash items read, by external id


def select(config: ConnectorConfig, checkpoint: Mapping[str, Any] | None, *, limit: int = PAGE_SIZE) -> PushBatch:
    after = (checkpoint or {}).get("after") or config.created_at
    changed, more = repository.changed_since(config.tenant_id, after, limit=limit)
    if not changed:
        return PushBatch([], {"after": after}, False, {})
    leads = repository.get_many(config.tenant_id, [lead_id for lead_id, _ in changed])
    linked = [lead.external_ids[config.provider] for lead in leads if config.provider in lead.external_ids]
    applied = read_applied(config, linked) if linked else {}
    to_push = [lead for lead in leads if not _last_write_was_ours(config, lead, applied)]
    return PushBatch(to_push, {"after": changed[-1][1]}, more, applied)


def _last_write_was_ours(config: ConnectorConfig, lead: StoredLead, applied: Mapping[str, Applied]) -> bool:
    external_id = lead.external_ids.get(config.provider)
    previous = applied.get(external_id) if external_id else None
    return previous is not None and previous.lead_updated_at == lead.updated_at


def link(config: ConnectorConfig, batch: PushBatch, results: Sequence[PushResult]) -> int:
    """Stores each provider id on its lead; the number of leads the provider took."""
    leads = {lead.id: lead for lead in batch.leads}
    taken = 0
    for result in results:
        lead = leads.get(result.lead_id)
        if lead is None or result.external_id is None:
            if result.error:
                logger.info("Lead not pushed", extra={"lead_id": result.lead_id, "reason": result.error})
            continue
        taken += 1
        _store_id(config, lead, result.external_id, batch.applied.get(result.external_id))
    return taken


def _store_id(config: ConnectorConfig, lead: StoredLead, external_id: str, previous: Applied | None) -> None:
    current = lead
    if lead.external_ids.get(config.provider) != external_id:
        try:
            current = repository.update(
                config.tenant_id, lead, lead.data, external_ids={**lead.external_ids, config.provider: external_id}
            )
        except (repository.ConcurrentModification, repository.IdentityTaken):
            # Changed meanwhile (the next push sends it again and links it then), or the id is another lead's.
            logger.info("Pushed lead not linked", extra={"lead_id": lead.id})
            return
    store_applied(
        config,
        external_id,
        Applied(
            digest=previous.digest if previous else PUSHED_DIGEST,
            lead_id=current.id,
            updated_at=previous.updated_at if previous else None,
            lead_updated_at=current.updated_at,
        ),
    )
