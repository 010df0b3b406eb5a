"""The leads, sync and connections tables' streams, journaled: each stream record's events
(leadgate.events.derive) appended to the journal (leadgate.events.journal), once each however often the record
is delivered."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leadgate import clock
from leadgate.events import derive, journal
from leadgate.settings import get_settings

ERASED = "lead.erased"


def journal_record(record: Mapping[str, Any]) -> int:
    """Journals one DynamoDB stream record's events; returns how many were new. Raises on an unreadable image
    (derive.UnreadableImage) or a failed write: the record is then reported as a batch item failure."""
    change = record.get("dynamodb") or {}
    created = change.get("ApproximateCreationDateTime")
    moment = datetime.fromtimestamp(float(created), UTC) if created is not None else clock.now()
    events = derive.derive(
        change.get("OldImage"),
        change.get("NewImage"),
        recorded_at=moment.isoformat(timespec="milliseconds"),
        base_url=get_settings().public_base_url,
    )
    appended = sum(journal.append(event) for event in events)
    for erased in (event for event in events if event.type == ERASED and event.lead_id):
        # Erasure removed the lead's events in its request; records of the lead still in flight then (this
        # stream delivers an item's records in order, so every earlier one is journaled by now) are removed here.
        journal.erase_lead(erased.tenant, erased.lead_id, keep=frozenset({ERASED}))
    return appended
