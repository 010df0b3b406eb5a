"""A lead's stage history: every move between stages, recorded in the lead write's own transaction, so a move is
never missed nor recorded twice (docs/workspace.md, "Stage history and stats").

A move (including the lead's first stage, from null, on create) writes, beside the lead:
- its history item in the leads table (`MOVE#{lead}#{version}`, leadgate.leads.keys): from, to, when, and which
  client made it (`leadgate.events.actor`); `GET /api/v1/leads/{id}/stage-history` lists them, newest first;
- when it leaves an integer stage of an integer pipeline that it entered at a known time, that pipeline's move
  item (leadgate.workspace.pipelines.moves), which the pipeline's stats read by time.
The lead item keeps `stage_entered_at` and, for a lead assigned to a user, `stage_type`: the type of its stage (ONE
GetItem of the stage when it moves), so that the user's `open_lead_count` counts only leads in open stages
(leadgate.workspace.users.assignments).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadgate.events import actor
from leadgate.leads import items as item_mapping
from leadgate.leads import keys
from leadgate.leads.records import StoredLead
from leadgate.leads.requests import LeadData
from leadgate.settings import get_settings
from leadgate.workspace.pipelines import moves, store


@dataclass(frozen=True)
class StageMove:
    """One move as stored and shown: ids as the lead held them (a legacy string stage stays a string)."""

    lead_id: str
    from_pipeline_id: Any
    from_stage_id: Any
    to_pipeline_id: Any
    to_stage_id: Any
    moved_at: str
    client_id: str | None

    def record(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _workspace_id(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def moved(before: LeadData | None, after: LeadData) -> bool:
    """Whether the write puts the lead in another stage (a new lead: whether it has a stage at all)."""
    if before is None:
        return after.pipeline_stage_id is not None
    return (before.pipeline_stage_id, type(before.pipeline_stage_id)) != (
        after.pipeline_stage_id,
        type(after.pipeline_stage_id),
    )


def _stage_type(tenant_id: str, stage_value: Any) -> str | None:
    stage_id = _workspace_id(stage_value)
    found = store.get_stage(tenant_id, stage_id) if stage_id is not None else None
    return found.type if found else None


def _assigned(data: LeadData) -> bool:
    return _workspace_id(data.assigned_user_id) is not None


def entering(tenant_id: str, current: StoredLead | None, lead: StoredLead, now: str) -> StoredLead:
    """`lead` with its stage fields: after a move, entered `now`, else as `current`. The stage's type matters only
    to a user's count, so it is read (ONE GetItem) only for a lead assigned to a user, when it moves or when it
    is not known yet (a lead assigned now, or written before stage history); an unassigned lead's is None."""
    stage = lead.data.pipeline_stage_id
    if current is None or moved(current.data, lead.data):
        entered, known = (now if stage is not None else None), None
    else:
        entered, known = current.stage_entered_at, current.stage_type
    if known is None and _assigned(lead.data):
        known = _stage_type(tenant_id, stage)
    return dataclasses.replace(lead, stage_entered_at=entered, stage_type=known)


def writes(tenant_id: str, current: StoredLead | None, lead: StoredLead, now: str) -> list[dict[str, Any]]:
    """The TransactWriteItems entries of a write at `now` from `current` to `lead`: none unless the lead moves (a
    lead leaving its stage for none, as a PUT without one does, moves to null)."""
    if not moved(current.data if current else None, lead.data):
        return []
    before = current.data if current else None
    move = StageMove(
        lead_id=lead.id,
        from_pipeline_id=before.pipeline_id if before else None,
        from_stage_id=before.pipeline_stage_id if before else None,
        to_pipeline_id=lead.data.pipeline_id,
        to_stage_id=lead.data.pipeline_stage_id,
        moved_at=now,
        client_id=actor.client_id(),
    )
    item = {"PK": keys.partition(tenant_id), "SK": keys.stage_move_sk(lead.id, lead.version), **move.record()}
    entries: list[dict[str, Any]] = [
        {"Put": {"TableName": get_settings().leads_table, "Item": item_mapping.attribute_values(item)}}
    ]
    left_pipeline, left_stage = _workspace_id(move.from_pipeline_id), _workspace_id(move.from_stage_id)
    if current is not None and current.stage_entered_at and left_pipeline is not None and left_stage is not None:
        entries.append(
            moves.left_entry(
                tenant_id,
                left_pipeline,
                left_stage,
                entered_at=current.stage_entered_at,
                left_at=move.moved_at,
                lead_id=lead.id,
                version=lead.version,
            )
        )
    return entries


def read_move(item: Mapping[str, Any]) -> StageMove:
    """A history item as stored (attribute values)."""
    values = item_mapping.plain(item)
    return StageMove(**{field.name: values.get(field.name) for field in dataclasses.fields(StageMove)})
