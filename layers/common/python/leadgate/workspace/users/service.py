"""What the users handlers call: each function is one API operation on the caller's tenant, raising
`leadgate.errors` types (another tenant's user is a 404, as a missing one).

Writes read the user (strongly consistent), check If-Match against its ETag and commit ONE transaction
conditional on the version read; an email change moves the unique claim in the same transaction. Deleting a
user who still has leads (any stage) is `RESOURCE_IN_USE`, unless `reassign_to` names an active user: up to
`INLINE_REASSIGNMENT` leads move inline, one lead transaction each (the counts move with them); more is a job
(`REASSIGN_JOB`, its pages: leadgate.workspace.users.reassignment) that deletes the user when the last lead moved.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from leadgate import aws, clock, errors, normalize
from leadgate.leads import keys as lead_keys
from leadgate.leads import repository as leads
from leadgate.lists import Page
from leadgate.settings import get_settings
from leadgate.workspace import counts, ids, items, jobs, keys
from leadgate.workspace.pages import WorkspacePageParams, page_of
from leadgate.workspace.users import assignments, store
from leadgate.workspace.users.records import User
from leadgate.workspace.users.requests import UserCreate, UserPatch, UserReplace

INLINE_REASSIGNMENT = 100  # leads moved inside the DELETE request; more is a background job
REASSIGN_JOB = "user_reassign"
LIST_NAME = "users"
EMAIL_TAKEN = "Another user of the tenant has this email."


# ------------------------------------------------------------------ reads


def user(tenant_id: str, user_id: int) -> User:
    found = store.get(tenant_id, user_id)
    if found is None:
        raise errors.NotFound(f"No user with id {user_id}.")
    return found


def user_record(tenant_id: str, found: User) -> dict[str, Any]:
    """The user as the API shows it, with its exact `open_lead_count` (ONE Query of its count shards)."""
    return found.record(assignments.open_lead_counts(tenant_id, [found.id])[found.id])


def list_users(tenant_id: str, params: WorkspacePageParams) -> Page:
    """Every user in id order: ONE Query of the users and ONE of their counts, whatever the page."""
    everyone = store.all_users(tenant_id)
    page = page_of(everyone, params, LIST_NAME)
    open_counts = assignments.open_lead_counts(tenant_id, [found.id for found in page.records])
    return Page(
        [found.record(open_counts[found.id]) for found in page.records],
        page.per_page,
        page.next_cursor,
        number=page.number,
        offset=page.offset,
        counted=page.counted,
        numbered_pages=page.numbered_pages,
        max_offset=page.max_offset,
    )


# ------------------------------------------------------------------ writes


def create_user(tenant_id: str, body: UserCreate) -> User:
    """ONE UpdateItem (the id), then ONE transaction: the user and the claim of its email."""
    stamp = clock.iso(clock.now())
    created = User(
        id=ids.allocate_one(tenant_id, keys.USER),
        name=body.name,
        email=body.email,
        email_normalized=body.email_normalized,
        role=body.role,
        active=body.active,
        created_at=stamp,
        updated_at=stamp,
    )
    entries = [
        store.put(tenant_id, created, expected_version=None),
        store.claim_email(tenant_id, created.id, created.email_normalized),
    ]
    _committing(entries, if_match=None)
    return created


def replace_user(tenant_id: str, user_id: int, body: UserReplace, if_match: str | None) -> User:
    """PUT: every field from the body; those not sent go back to their defaults."""
    values = {
        "name": body.name,
        "email": body.email,
        "email_normalized": body.email_normalized,
        "role": body.role,
        "active": body.active,
    }
    return _change(tenant_id, user_id, if_match, lambda current: values)


def patch_user(tenant_id: str, user_id: int, body: UserPatch, if_match: str | None) -> User:
    """PATCH: only the fields sent change. `active: false` deactivates: the user keeps their id and leads, and
    new assignments to them are refused."""
    values = body.changes()
    if "email" in values:
        values["email_normalized"] = normalize.canonical_email(values["email"])
    return _change(tenant_id, user_id, if_match, lambda current: values)


@dataclass(frozen=True)
class Deleted:
    """What a DELETE did: the user deleted after `reassigned` leads moved, or a `job` that moves them (and then
    deletes the user) started."""

    reassigned: int = 0
    job: jobs.Job | None = None


def delete_user(tenant_id: str, user_id: int, if_match: str | None, reassign_to: int | None) -> Deleted:
    """Deletes the user, after moving their leads to `reassign_to` (inline up to INLINE_REASSIGNMENT, else a
    job). With leads and no `reassign_to`: RESOURCE_IN_USE with the count. The delete is conditional on the
    user's count shards as read, so a lead assigned meanwhile cancels it (CONFLICT) instead of pointing at
    nobody."""
    current = user(tenant_id, user_id)
    _check_precondition(current, if_match)
    moved = 0
    assigned = counts.count(tenant_id, keys.USER, user_id)
    if assigned and reassign_to is None:
        raise errors.ResourceInUse(
            assigned, f"{assigned} lead(s) are assigned to this user: deactivate them, or pass reassign_to."
        )
    if assigned:
        target = _reassignment_target(tenant_id, user_id, reassign_to)
        if assigned > INLINE_REASSIGNMENT:
            return Deleted(job=_start_reassignment(tenant_id, current, target, assigned, if_match))
        lead_ids, _ = assigned_page(tenant_id, user_id, INLINE_REASSIGNMENT)
        moved = sum(move_lead(tenant_id, lead_id, user_id, target.id) for lead_id in lead_ids)
    remove(tenant_id, current, if_match)
    return Deleted(reassigned=moved)


def remove(tenant_id: str, current: User, if_match: str | None = None) -> None:
    """ONE transaction: the user, its email's claim, and its count shards, on the condition that they still sum
    to zero as just read (CONFLICT otherwise)."""
    entries = [
        store.delete(tenant_id, current),
        store.release_email(tenant_id, current.id, current.email_normalized),
        *_unchanged_zero_count(tenant_id, current.id),
    ]
    _committing(entries, if_match=if_match)


def _reassignment_target(tenant_id: str, user_id: int, reassign_to: int | None) -> User:
    if reassign_to == user_id:
        raise errors.ValidationFailed(errors={"reassign_to": ["The leads cannot be reassigned to the same user."]})
    target = store.get(tenant_id, reassign_to) if reassign_to is not None else None
    if target is None or not target.active:
        raise errors.ValidationFailed(errors={"reassign_to": ["The reassign_to must be an active user's id."]})
    return target


def _start_reassignment(tenant_id: str, current: User, target: User, assigned: int, if_match: str | None) -> jobs.Job:
    """More leads than one request moves: the user is deactivated first (ONE transaction, guarded like any
    change), so no lead is assigned to them while the job runs, then a job moves their leads a page at a time
    and deletes them after the last one (leadgate.workspace.users.reassignment)."""
    if current.active:
        changed = current.changed(clock.iso(clock.now()), active=False)
        _committing([store.put(tenant_id, changed, expected_version=current.version)], if_match=if_match)
    job = jobs.create(tenant_id, REASSIGN_JOB, assigned, {"user_id": current.id, "to": target.id, "cursor": None})
    jobs.start(tenant_id, job)
    return job


def move_lead(tenant_id: str, lead_id: str, user_id: int, target_id: int) -> int:
    """Moves one lead from `user_id` to `target_id`, in the lead's own transaction (its check that the target is
    active and the count moves ride in it); 0 when it is no longer the user's. A concurrent writer may win once:
    read again and retry. ValidationFailed when the target is no longer active."""
    for _ in range(3):
        lead = leads.get(tenant_id, lead_id)
        if lead is None or lead.data.assigned_user_id != user_id:
            return 0  # deleted or reassigned meanwhile
        try:
            leads.update(tenant_id, lead, lead.data.model_copy(update={"assigned_user_id": target_id}))
            return 1
        except leads.ConcurrentModification:
            continue
    raise errors.Conflict("A lead of this user kept changing during the reassignment; try again.")


def assigned_page(
    tenant_id: str, user_id: int, limit: int, after: dict[str, Any] | None = None
) -> tuple[list[str], dict[str, Any] | None]:
    """ONE Query of the leads' `by_assignee` index: up to `limit` of the user's lead ids after `after` (the
    previous page's position), and the position after them (None at the end). Eventually consistent: a lead
    assigned a moment ago may be missing, and the delete's count condition then refuses rather than leave it
    pointing at nobody."""
    index = next(index for index in lead_keys.FILTER_INDEXES if index.field == "assigned_user_id")
    query: dict[str, Any] = {
        "TableName": get_settings().leads_table,
        "IndexName": index.index,
        "KeyConditionExpression": "#key = :key",
        "ExpressionAttributeNames": {"#key": index.attribute},
        "ExpressionAttributeValues": {":key": {"S": lead_keys.filter_key(tenant_id, user_id)}},
        "Limit": limit,
    }
    if after:
        query["ExclusiveStartKey"] = after
    page = aws.dynamodb().query(**query)
    return [lead_keys.lead_id_of(item["SK"]["S"]) for item in page.get("Items", [])], page.get("LastEvaluatedKey")


def assigned_count(tenant_id: str, user_id: int) -> int:
    """How many leads the `by_assignee` index holds for the user: a COUNT Query, paged (1 MB of keys a page).
    For the counts' backfill (leadgate.workspace.backfill), never for a request."""
    index = next(index for index in lead_keys.FILTER_INDEXES if index.field == "assigned_user_id")
    query: dict[str, Any] = {
        "TableName": get_settings().leads_table,
        "IndexName": index.index,
        "KeyConditionExpression": "#key = :key",
        "ExpressionAttributeNames": {"#key": index.attribute},
        "ExpressionAttributeValues": {":key": {"S": lead_keys.filter_key(tenant_id, user_id)}},
        "Select": "COUNT",
    }
    total = 0
    while True:
        page = aws.dynamodb().query(**query)
        total += page.get("Count", 0)
        if "LastEvaluatedKey" not in page:
            return total
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _unchanged_zero_count(tenant_id: str, user_id: int) -> list[dict[str, Any]]:
    """Entries that delete the user's count shards, each only if unchanged since this strongly consistent read,
    and only if they sum to zero (a lead assigned meanwhile cancels the transaction)."""
    pk = keys.counts_partition(tenant_id, keys.USER)
    page = aws.dynamodb().query(
        TableName=get_settings().workspace_table,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
        ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": keys.count_prefix(user_id)}},
        ConsistentRead=True,
    )
    shards = {item["sk"]["S"]: items.plain(item).get(counts.COUNT, 0) for item in page.get("Items", [])}
    if sum(shards.values()):
        raise errors.Conflict("Leads were assigned to this user meanwhile; try again.")
    entries: list[dict[str, Any]] = []
    for shard in range(counts.SHARDS):
        sk = keys.count_sk(user_id, shard)
        entry: dict[str, Any] = {"TableName": get_settings().workspace_table, "Key": keys.key(pk, sk)}
        if sk in shards:
            entry["ConditionExpression"] = "#n = :n OR attribute_not_exists(#n)"
            entry["ExpressionAttributeNames"] = {"#n": counts.COUNT}
            entry["ExpressionAttributeValues"] = {":n": {"N": str(shards[sk])}}
            entries.append({"Delete": entry})
        else:
            entry["ConditionExpression"] = "attribute_not_exists(pk)"
            entries.append({"ConditionCheck": entry})
    return entries


def _change(tenant_id: str, user_id: int, if_match: str | None, change: Callable[[User], dict[str, Any]]) -> User:
    current = user(tenant_id, user_id)
    _check_precondition(current, if_match)
    values = change(current)
    if all(getattr(current, name) == value for name, value in values.items()):
        return current  # nothing changes: no write, same ETag
    changed = current.changed(clock.iso(clock.now()), **values)
    entries = [store.put(tenant_id, changed, expected_version=current.version)]
    if changed.email_normalized != current.email_normalized:
        entries.append(store.release_email(tenant_id, current.id, current.email_normalized))
        entries.append(store.claim_email(tenant_id, current.id, changed.email_normalized))
    _committing(entries, if_match=if_match)
    return changed


def _committing(entries: list[dict[str, Any]], *, if_match: str | None) -> None:
    try:
        store.commit(entries)
    except store.EmailTaken as exc:
        raise errors.ValidationFailed(errors={"email": [EMAIL_TAKEN]}) from exc
    except store.StaleWrite as exc:
        if if_match is not None:
            raise errors.PreconditionFailed("The user was changed by another request.") from exc
        raise errors.Conflict("The user was changed by another request; read it again and retry.") from exc


def _check_precondition(current: User, if_match: str | None) -> None:
    """If-Match: `*` or a list of ETags, one of which must be the user's (strong comparison)."""
    if if_match is None:
        return
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" not in tags and current.etag not in tags:
        raise errors.PreconditionFailed(f"The user's ETag is {current.etag}.", etag=current.etag)
