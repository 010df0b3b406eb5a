"""The pages of a user's reassignment job (docs/workspace.md, "Users": DELETE with `reassign_to` over 100 leads).

The DELETE deactivated the user (no lead is assigned to them meanwhile) and queued the job
(`users.service.REASSIGN_JOB`, params `user_id`, `to`, `cursor`). Each page reads up to `PAGE` of the user's
lead ids from the `by_assignee` index after the recorded position, moves each in its own lead transaction (as
a PATCH would: the target's check and the count moves ride in it), then records the page and its position
(leadgate.workspace.jobs); `done` is the total less the user's count (ONE Query), so it stays exact when a
page runs again. A page run again moves nothing twice: a lead no longer the user's is passed over.
When the index is through and the user's count is zero, the user is deleted and the job succeeds; leads the
index had not shown yet (it lags a write by a moment) take another pass from the start. A target deactivated
meanwhile ends the job `failed`: the leads not moved stay with the user, who stays (inactive).
"""

from __future__ import annotations

from leadgate import errors
from leadgate.workspace import counts, jobs, keys
from leadgate.workspace.users import service, store

PAGE = 100  # leads per page (one queue message)
MAX_PASSES = 3  # passes over the index before the job gives up on a count the index does not explain
TARGET_GONE = "reassign_to is no longer an active user; the leads not moved stay with the user."
COUNT_ASTRAY = "The user's open_lead_count is not zero after every lead of the index moved."


def process(tenant_id: str, job: jobs.Job) -> jobs.Job | None:
    """One page: its leads moved, the record advanced, the next page queued; at the end, the user deleted."""
    params = dict(job.params)
    user_id, target_id = params["user_id"], params["to"]
    lead_ids, cursor = service.assigned_page(tenant_id, user_id, PAGE, after=params["cursor"])
    try:
        for lead_id in lead_ids:
            service.move_lead(tenant_id, lead_id, user_id, target_id)
    except errors.ValidationFailed:
        jobs.fail(tenant_id, job, TARGET_GONE)
        return None
    remaining = counts.count(tenant_id, keys.USER, user_id)
    # `done` from the count, not from this page's moves: a page run again after an interrupted one (whose moves
    # were not recorded) still counts them.
    done = max(job.total - remaining, job.done) - job.done
    params["cursor"] = cursor
    if cursor is None:
        if remaining == 0:
            current = store.get(tenant_id, user_id)
            if current is not None:
                service.remove(tenant_id, current)
            return jobs.advance(tenant_id, job, done, params, jobs.SUCCEEDED)
        params["passes"] = params.get("passes", 1) + 1
        if params["passes"] > MAX_PASSES:
            jobs.fail(tenant_id, job, COUNT_ASTRAY)
            return None
    advanced = jobs.advance(tenant_id, job, done, params)
    if advanced is not None:
        jobs.send(jobs.Message(tenant_id, job.id, advanced.step))
    return advanced
