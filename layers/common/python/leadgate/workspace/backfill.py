"""Bringing leads written before the workspace existed into its counts (docs/workspace.md, "Backfill"): a job,
queued by operators (`leadgate workspace backfill --tenant T`), never run in a request.

- **Tags** (`phase` "tags"): leads that hold tag names without their catalog ids (written before the catalog)
  are in no tag's count. The job goes through the tenant's leads a page (`PAGE`) at a time, ONE Query of the
  tenant's partition per page from the recorded position (leadgate.leads.repository.lead_page: no Scan), and
  writes each such lead again unchanged through the repository: its names are resolved (or put in the
  catalog) and counted in the lead's own transaction, conditional on its version, so concurrent writes are
  never double counted (a lead that changed meanwhile is read again; one that a write gave ids meanwhile is
  passed over). Leads whose tags all have ids are not written.
- **Users** (`phase` "users", the last step): a lead's integer `assigned_user_id` from before users existed is
  not in the user's count, and nothing on the lead tells counted from not. So each user's count is compared
  with what the leads' `by_assignee` index holds (a COUNT Query per user) and the difference added to it
  (leadgate.workspace.counts.add). Exact when no lead is assigned or unassigned meanwhile; a race moves a count
  by one, and running the backfill again corrects it: run it when the tenant is quiet.

Safe to retry: a page run again writes nothing twice (its leads have ids by then), and the job record moves
on conditional on its step (leadgate.workspace.jobs). `done` counts the leads gone through; `total` is the
tenant's lead counter when it started.
"""

from __future__ import annotations

from typing import Any

from leadgate.leads import keys as lead_keys
from leadgate.leads import repository
from leadgate.leads.records import StoredLead
from leadgate.workspace import counts, jobs, keys
from leadgate.workspace.users import service as users
from leadgate.workspace.users import store as user_store

KIND = "counts_backfill"
PAGE = 100  # leads per page (one queue message)
WRITE_ATTEMPTS = 3


def start(tenant_id: str) -> jobs.Job:
    """The queued job (its record, then its first message)."""
    total = repository.stats(tenant_id).get(lead_keys.TOTAL_COUNTER, 0)
    job = jobs.create(tenant_id, KIND, total, {"phase": "tags", "cursor": None, "tagged": 0, "users": {}})
    jobs.start(tenant_id, job)
    return job


def process(tenant_id: str, job: jobs.Job) -> jobs.Job | None:
    """One page of leads (tags), or the users' recount that ends the job."""
    params: dict[str, Any] = dict(job.params)
    if params["phase"] == "users":
        params["users"] = _recount_users(tenant_id)
        return jobs.advance(tenant_id, job, 0, params, jobs.SUCCEEDED)
    page, cursor = repository.lead_page(tenant_id, after=params["cursor"], limit=PAGE)
    params["tagged"] += sum(_count_tags(tenant_id, lead) for lead in page)
    params["cursor"] = cursor
    if cursor is None:
        params["phase"] = "users"
    advanced = jobs.advance(tenant_id, job, len(page), params)
    if advanced is not None:
        jobs.send(jobs.Message(tenant_id, job.id, advanced.step))
    return advanced


def _count_tags(tenant_id: str, lead: StoredLead) -> int:
    """1 when the lead held names without ids and is now counted for them, else 0."""
    current: StoredLead | None = lead
    for _ in range(WRITE_ATTEMPTS):
        if current is None or set(current.data.tags) <= set(current.tag_ids):
            return 0
        try:
            repository.update(tenant_id, current, current.data)
            return 1
        except repository.ConcurrentModification:
            current = repository.get(tenant_id, lead.id)
    raise repository.ConcurrentModification()  # the page fails and SQS retries it from the recorded position


def _recount_users(tenant_id: str) -> dict[str, int]:
    """Each user's count brought to what the `by_assignee` index holds: {user id: what was added}."""
    added: dict[str, int] = {}
    for user in user_store.all_users(tenant_id):
        difference = users.assigned_count(tenant_id, user.id) - counts.count(tenant_id, keys.USER, user.id)
        if difference:
            counts.add(tenant_id, keys.USER, user.id, difference)
            added[str(user.id)] = difference
    return added
