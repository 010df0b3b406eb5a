"""The API's read of the journal: `GET /api/v1/events`, a page at a time with a cursor bound to the read.

Newest first by default (browsing); oldest first from a cursor for an integrator: those pages always carry a
next cursor (the position after the last event read), to keep and ask again later (docs/events.md).
"""

from __future__ import annotations

from leadgate import clock
from leadgate.events import journal
from leadgate.events.params import EventListParams
from leadgate.lists import Page


def list_events(tenant_id: str, params: EventListParams) -> Page:
    query = journal.Query(
        tenant=tenant_id,
        oldest_first=params.order == "oldest",
        types=params.types,
        lead_id=params.lead_id,
        since=clock.iso(params.since) if params.since else None,
        until=clock.iso(params.until) if params.until else None,
    )
    after = journal.decode_position(query, params.cursor) if params.cursor else None
    read = journal.read(query, after=after, limit=params.per_page)
    records = [event.model_dump(mode="json", exclude_none=True) for event in read.events]
    keep_reading = read.more or query.oldest_first
    next_cursor = journal.encode_position(query, read.position) if keep_reading else None
    return Page(records, params.per_page, next_cursor)
