"""What a lead write does about the user it is assigned to (docs/workspace.md, "Users").

A lead that gets a NEW assignment must name an active user of its tenant: the check is a ConditionCheck in the
lead's own transaction (so a user deactivated or deleted meanwhile refuses it, with no extra round trip), and the
users' `open_lead_count` moves in the same transaction (old -1, new +1, leadgate.workspace.counts). An
assignment the lead already holds is kept as it is, checked and counted nothing: a deactivated user keeps their
leads, and a legacy string id stays readable and writable back unchanged.
"""

from __future__ import annotations

from typing import Any

from leadgate import errors
from leadgate.leads.requests import LeadData
from leadgate.workspace import counts, keys
from leadgate.workspace.users import store

FIELD = "assigned_user_id"
NOT_ACTIVE = "The assigned_user_id must be the id of an active user of the tenant."


def refused() -> errors.ValidationFailed:
    return errors.ValidationFailed(errors={FIELD: [NOT_ACTIVE]})


def user_id(value: Any) -> int:
    """The user id a new assignment names (an integer id), else 422 naming the field."""
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= keys.MAX_ID:
        return value
    raise refused()


def counted(value: Any) -> list[int]:
    """The users an assignment counts for: an integer id; a legacy string counts for none."""
    return [value] if isinstance(value, int) and not isinstance(value, bool) and value >= 1 else []


def writes(tenant_id: str, before: LeadData | None, after: LeadData | None) -> list[dict[str, Any]]:
    """TransactWriteItems entries for a lead going from `before` to `after` (None: created, deleted): the check
    that a newly named user is active, and the count moves."""
    old = before.assigned_user_id if before else None
    new = after.assigned_user_id if after else None
    if old == new and type(old) is type(new):
        return []
    entries = [store.active_check(tenant_id, user_id(new))] if new is not None else []
    return entries + counts.moves(tenant_id, keys.USER, counted(old), counted(new))
