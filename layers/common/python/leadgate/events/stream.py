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
    return sum(journal.append(event) for event in events)
