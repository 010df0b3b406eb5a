"""What a lead write does about the user it is assigned to (docs/workspace.md, "Users").

A lead that gets a NEW assignment must name an active user of its tenant: the check is a ConditionCheck in the
lead's own transaction (so a user deactivated or deleted meanwhile refuses it, with no extra round trip), and the
users' counts move in the same transaction (leadgate.workspace.counts, kind `user`): the count itself is every
lead assigned to the user (old -1, new +1; what a delete checks), and the same shard item's `closed` attribute
the ones among them in a won or lost stage, so `open_lead_count` = count - closed changes when a lead moves
between an open and a closed stage too, in the same item. An assignment the lead already holds is kept as it is,
checked nothing: a deactivated user keeps their leads, and a legacy string id stays readable and writable back
unchanged.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from typing import Any

from leadgate import errors
from leadgate.leads.requests import LeadData
from leadgate.workspace import counts, keys
from leadgate.workspace.users import store

FIELD = "assigned_user_id"
NOT_ACTIVE = "The assigned_user_id must be the id of an active user of the tenant."
CLOSED = "closed"  # the shard attribute counting a user's leads in won or lost stages


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


def writes(
    tenant_id: str, before: LeadData | None, after: LeadData | None, *, open_before: bool, open_after: bool
) -> list[dict[str, Any]]:
    """TransactWriteItems entries for a lead going from `before` to `after` (None: created, deleted), in an open
    stage or not before and after: the check that a newly named user is active, and the count moves (one Update
    per user whose count or closed count changes)."""
    old = before.assigned_user_id if before else None
    new = after.assigned_user_id if after else None
    reassigned = not (old == new and type(old) is type(new))
    entries = [store.active_check(tenant_id, user_id(new))] if reassigned and new is not None else []
    deltas: dict[int, Counter[str]] = {}
    for user, sign, in_open in [(u, -1, open_before) for u in counted(old)] + [
        (u, 1, open_after) for u in counted(new)
    ]:
        moved = deltas.setdefault(user, Counter())
        moved.update({counts.COUNT: sign, CLOSED: 0 if in_open else sign})
    return entries + [
        counts.change(
            tenant_id, keys.USER, user, moved[counts.COUNT], **({CLOSED: moved[CLOSED]} if moved[CLOSED] else {})
        )
        for user, moved in sorted(deltas.items())
        if moved[counts.COUNT] or moved[CLOSED]
    ]


def open_lead_counts(tenant_id: str, user_ids: Collection[int]) -> dict[int, int]:
    """Each user's `open_lead_count`: their assigned leads less those in won or lost stages (ONE Query)."""
    return {
        user: summed[counts.COUNT] - summed[CLOSED]
        for user, summed in counts.totals(tenant_id, keys.USER, user_ids).items()
    }
