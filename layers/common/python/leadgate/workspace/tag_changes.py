"""Renaming, merging and deleting a tag on every lead that holds it (docs/workspace.md, "Tag changes").

The catalog changes first, in ONE transaction: the old name's claim is released (conditional on still naming
this tag), the new name claimed (a rename) and the tag marked `renaming` / `deleting` / merged. From then on a
lead write that adds the old name gets a NEW tag, and a lead's own `tag_ids` tell whose tag it holds. The
leads change in pages of `PAGE` from the old name's TAG# items (leads/keys.py, no Scan), each page ONE
conditional PutItem per lead (its version): a rename keeps the id, so no count moves, and a deleted tag's count is
forgotten at the end. A merge moves leads to another id: ONE TransactWriteItems per chunk of leads with the
target's count, so that count stays exact.

Two passes: the first from the start of the TAG# items; the second (the sweep) again from the start, once
`GRACE_SECONDS` have passed since the catalog changed: a lead write that resolved the old name just before the
change commits within that time, so the sweep finds it. Both are safe to repeat: a lead already changed is
passed over, a TAG# item left by an interrupted page is repaired. Up to `INLINE_LIMIT` leads the first pass
runs in the request (200); more is a job (202).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from leadgate import aws, clock, errors
from leadgate.leads import repository
from leadgate.leads.records import StoredLead
from leadgate.settings import get_settings
from leadgate.workspace import jobs, keys, tag_counts
from leadgate.workspace import tags as catalog

PAGE = 100  # leads per page (one queue message)
INLINE_LIMIT = 100  # leads a request changes itself
GRACE_SECONDS = 60.0  # longer than any lead write takes from resolving a tag name to committing
WRITE_ATTEMPTS = 5  # a chunk whose leads change meanwhile is read and written again
RENAME, MERGE, DELETE = "tag_rename", "tag_merge", "tag_delete"
KINDS = (RENAME, MERGE, DELETE)


@dataclass(frozen=True)
class Started:
    """What a rename or delete answers: the tag after it (None once deleted), and its job if it goes on."""

    tag: catalog.Tag | None
    job: jobs.Job | None


def _table() -> str:
    return get_settings().workspace_table


def rename(tenant_id: str, tag: catalog.Tag, name: str) -> Started:
    """Renames the tag (onto an existing tag's name: merges them); its leads follow, inline or as a job."""
    if name == tag.name:
        return Started(tag, None)
    target = catalog.resolve(tenant_id, [name]).get(name)
    stamp = max(clock.iso(clock.now()), tag.updated_at)
    release = _release(tenant_id, tag)
    if target is None:
        mark = _mark(tenant_id, tag, stamp, catalog.RENAMING, change="#name = :name", values={":name": {"S": name}})
        claim = {
            "Put": {
                "TableName": _table(),
                "Item": {
                    **keys.key(keys.partition(tenant_id), keys.unique_sk(keys.TAG, name)),
                    "id": {"N": str(tag.id)},
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        _change_catalog([release, claim, mark], name)
        kind, target = RENAME, tag.id
    else:
        mark = _mark(
            tenant_id, tag, stamp, catalog.DELETING, change="merged_into = :into", values={":into": {"N": str(target)}}
        )
        _change_catalog([release, mark], name)
        kind = MERGE
    params = {"tag_id": tag.id, "from": tag.name, "to": name, "to_id": target}
    job = _run(tenant_id, kind, tag.id, params)
    renamed = catalog.Tag(tag.id, name, tag.color, tag.description, tag.created_at, stamp, tag.lead_count)
    return Started(renamed if kind == RENAME else catalog.get(tenant_id, target), job)


def delete(tenant_id: str, tag: catalog.Tag) -> Started:
    """Deletes the tag: its name is free at once, its leads lose it inline or in a job."""
    stamp = max(clock.iso(clock.now()), tag.updated_at)
    _change_catalog([_release(tenant_id, tag), _mark(tenant_id, tag, stamp, catalog.DELETING)], tag.name)
    return Started(None, _run(tenant_id, DELETE, tag.id, {"tag_id": tag.id, "from": tag.name}))


def _release(tenant_id: str, tag: catalog.Tag) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": _table(),
            "Key": keys.key(keys.partition(tenant_id), keys.unique_sk(keys.TAG, tag.name)),
            "ConditionExpression": "id = :id",
            "ExpressionAttributeValues": {":id": {"N": str(tag.id)}},
        }
    }


def _mark(
    tenant_id: str, tag: catalog.Tag, stamp: str, state: str, *, change: str = "", values: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The tag's record in `state` (and `change`d), conditional on being as read and on no other change running."""
    names = {"#state": "state", **({"#name": "name"} if "#name" in change else {})}
    return {
        "Update": {
            "TableName": _table(),
            "Key": keys.object_key(tenant_id, keys.TAG, tag.id),
            "UpdateExpression": "SET " + ", ".join(filter(None, [change, "#state = :state", "updated_at = :now"])),
            "ConditionExpression": "updated_at = :then AND attribute_not_exists(#state)",
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": {
                **(values or {}),
                ":state": {"S": state},
                ":now": {"S": stamp},
                ":then": {"S": tag.updated_at},
            },
        }
    }


def _change_catalog(entries: list[dict[str, Any]], name: str) -> None:
    client = aws.dynamodb()
    try:
        client.transact_write_items(TransactItems=entries)
    except client.exceptions.TransactionCanceledException as cancelled:
        raise errors.Conflict(
            "The tag changed meanwhile, or another change of it is running; read it again and retry.",
            extra={"name": name},
        ) from cancelled


def _run(tenant_id: str, kind: str, tag_id: int, params: dict[str, Any]) -> jobs.Job | None:
    """The job of a change: its first page here; the rest, and the sweep, from the queue. None when the first
    pass ended here (the sweep still runs in the background)."""
    total = tag_counts.count(tenant_id, tag_id)
    params = {**params, "pass": 1, "cursor": None, "changed_at": clock.timestamp()}
    job = jobs.create(tenant_id, kind, total, params)
    if total > INLINE_LIMIT:
        jobs.start(tenant_id, job)
        return job
    advanced = process(tenant_id, job)
    return None if advanced is not None and advanced.params["pass"] == 2 else jobs.get(tenant_id, job.id)


def process(tenant_id: str, job: jobs.Job) -> jobs.Job | None:
    """One page of a job: its leads changed, the record advanced, the next step queued; the job's end."""
    params = dict(job.params)
    if params["pass"] == 2:
        time.sleep(max(0.0, params["changed_at"] + GRACE_SECONDS - clock.timestamp()))
    lead_ids, cursor = repository.tagged(tenant_id, params["from"], after=params["cursor"], limit=PAGE)
    done = _change_leads(tenant_id, job.kind, params, lead_ids)
    if cursor is not None:
        params["cursor"] = cursor
    elif params["pass"] == 1:
        params |= {"pass": 2, "cursor": None}
    else:
        _finish(tenant_id, job.kind, params)
        return jobs.advance(tenant_id, job, done, params, jobs.SUCCEEDED)
    advanced = jobs.advance(tenant_id, job, done, params)
    if advanced is not None:
        jobs.send(jobs.Message(tenant_id, job.id, advanced.step))
    return advanced


def _change_leads(tenant_id: str, kind: str, params: dict[str, Any], lead_ids: list[str]) -> int:
    """The page's leads that hold this tag (by id, or by name alone from before the catalog) changed; returns
    how many. Leads that changed meanwhile are read and written again."""
    pending, changed = lead_ids, 0
    for _ in range(WRITE_ATTEMPTS):
        written, pending = _write(tenant_id, kind, params, repository.get_many(tenant_id, pending))
        changed += written
        if not pending:
            return changed
    raise repository.ConcurrentModification()  # the message is retried: the page goes on from its position


def _write(tenant_id: str, kind: str, params: dict[str, Any], leads: list[StoredLead]) -> tuple[int, list[str]]:
    """(leads written, ids of those that changed meanwhile)."""
    old, tag_id = params["from"], params["tag_id"]
    changes = []
    for lead in leads:
        if old not in lead.data.tags:
            repository.repair_tag_items(tenant_id, lead, [old])  # a TAG# item an interrupted page left behind
        elif lead.tag_ids.get(old, tag_id) == tag_id:  # else the name was added again after the change
            changes.append(_changed(lead, kind, params))
    if kind != MERGE:
        conflicted = repository.retag_each(tenant_id, changes)
        return len(changes) - len(conflicted), conflicted
    return _merge(tenant_id, params, changes)


def _changed(lead: StoredLead, kind: str, params: dict[str, Any]) -> repository.Retag:
    old = params["from"]
    tag_ids = {name: tag_id for name, tag_id in lead.tag_ids.items() if name != old}
    if kind == DELETE:
        tags = [tag for tag in lead.data.tags if tag != old]
    else:
        new = params["to"]
        tags = list(dict.fromkeys(new if tag == old else tag for tag in lead.data.tags))
        tag_ids[new] = params["to_id"]
    return lead, lead.data.model_copy(update={"tags": tags}), tag_ids


def _merge(tenant_id: str, params: dict[str, Any], changes: list[repository.Retag]) -> tuple[int, list[str]]:
    """Chunks of leads in ONE transaction each, with the target's count: +1 for each lead that did not hold
    the target already (the merged tag's count is forgotten at the end)."""
    written, conflicted = 0, []
    chunk: list[repository.Retag] = []
    size = 0
    for position, change in enumerate(changes):
        chunk.append(change)
        size += repository.retag_size(change[0])
        full = len(chunk) >= repository.MAX_TRANSACTION_ITEMS - 1 or size >= repository.RETAG_TRANSACTION_BYTES
        if not (full or position == len(changes) - 1):
            continue
        joined = sum(1 for lead, _, _ in chunk if params["to"] not in lead.data.tags)
        entries = [tag_counts.change(tenant_id, {params["to_id"]: joined})] if joined else []
        try:
            repository.retag(tenant_id, chunk, entries)
            written += len(chunk)
        except repository.ConcurrentModification:
            conflicted += [lead.id for lead, _, _ in chunk]
        chunk, size = [], 0
    return written, conflicted


def _finish(tenant_id: str, kind: str, params: dict[str, Any]) -> None:
    """The tag's record after the sweep: a renamed tag is plain again (ONE UpdateItem); a deleted or merged one
    goes, with its count (ONE DeleteItem, an UpdateItem per count shard)."""
    key = keys.object_key(tenant_id, keys.TAG, params["tag_id"])
    if kind == RENAME:
        aws.dynamodb().update_item(
            TableName=_table(), Key=key, UpdateExpression="REMOVE #state", ExpressionAttributeNames={"#state": "state"}
        )
        return
    aws.dynamodb().delete_item(TableName=_table(), Key=key)
    tag_counts.forget(tenant_id, params["tag_id"])
