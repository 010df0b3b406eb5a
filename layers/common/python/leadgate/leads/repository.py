"""Leads in DynamoDB: reads and writes (transactions, identities, counters).

Item mapping: leadgate.leads.items; keys: leadgate.leads.keys; list pages: leadgate.leads.pages.

Every call goes through `leadgate.aws.dynamodb()` (the low-level client), so a benchmark can wrap that
client and count calls and items. Every method takes `tenant_id` first and only touches keys inside the
tenant's partition. docs/access-patterns.md lists the calls each operation makes.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from leadgate import aws, clock, dependencies
from leadgate.leads import consents as consent_rules
from leadgate.leads import ids, keys, stage_history
from leadgate.leads import items as item_mapping
from leadgate.leads.consents import ConsentRecord
from leadgate.leads.records import NewInquiry, StoredLead, iso
from leadgate.leads.requests import LeadData
from leadgate.settings import get_settings
from leadgate.workspace import counts
from leadgate.workspace import keys as workspace_keys
from leadgate.workspace import tags as tag_catalog
from leadgate.workspace.users import assignments

logger = Logger(child=True)

MAX_TRANSACTION_ITEMS = 100
BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
COUNT_SHARD_ATTEMPTS = 4  # a lead write whose only conflict was on a count shard it picked, tried on others


IDENTITY_KINDS = ("email", "phone", "external")


class IdentityTaken(Exception):
    """An email, phone number or external id the write needs already belongs to another lead."""

    def __init__(self, matches: Mapping[str, str]) -> None:
        self.matches = dict(matches)  # "email" / "phone" / "external" -> the owning lead's id
        super().__init__(f"identity taken: {sorted(self.matches)}")


class ConcurrentModification(Exception):
    """The lead changed (or an identity moved) between our read and our write."""


class TooManyChanges(Exception):
    """The write would need more than one transaction's worth of items."""

    def __init__(self, items: int) -> None:
        self.items = items
        super().__init__(f"{items} items exceed one transaction ({MAX_TRANSACTION_ITEMS})")


class LeadErased(Exception):
    """The lead's item is an erasure's tombstone (docs/privacy.md)."""

    def __init__(self, lead_id: str, erased_at: str) -> None:
        self.lead_id = lead_id
        self.erased_at = erased_at
        super().__init__(f"lead {lead_id} was erased")


class UnreadableItem(Exception):
    """A stored item that does not map to a record (written outside the API, or damaged); reported."""

    def __init__(self, lead_id: str) -> None:
        self.lead_id = lead_id
        super().__init__(f"lead {lead_id} is unreadable")


@dataclass(frozen=True)
class _Write:
    """One TransactWriteItems entry and what its failure would mean."""

    operation: dict[str, Any]
    role: str  # "lead", an IDENTITY_KINDS entry (claiming an identity), "release" (freeing one), "count", "item",
    # "assignee" (the newly assigned user is active), "catalog" (a tag new to the catalog: its id and name)


def _client() -> Any:
    return aws.dynamodb()


def _table() -> str:
    return get_settings().leads_table


# ------------------------------------------------------------------ transaction entries


def _put(tenant_id: str, sk: str, role: str = "item", condition: str | None = None, **attributes: Any) -> _Write:
    item = {"PK": keys.partition(tenant_id), "SK": sk, **attributes}
    put: dict[str, Any] = {
        "TableName": _table(),
        "Item": item_mapping.attribute_values(item),
    }
    if condition:
        put["ConditionExpression"] = condition
    if role in IDENTITY_KINDS:
        put["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"  # the winner's lead_id, without another read
    return _Write({"Put": put}, role)


def _delete(tenant_id: str, sk: str, *, owned_by: str | None = None) -> _Write:
    delete: dict[str, Any] = {"TableName": _table(), "Key": keys.key(tenant_id, sk)}
    if owned_by:
        delete |= {
            "ConditionExpression": "lead_id = :lead",
            "ExpressionAttributeValues": {":lead": {"S": owned_by}},
        }
    return _Write({"Delete": delete}, "release")


def _put_lead(tenant_id: str, lead: StoredLead, *, expected_version: int | None) -> _Write:
    put: dict[str, Any] = {"TableName": _table(), "Item": item_mapping.lead_item(tenant_id, lead)}
    if expected_version is None:
        put["ConditionExpression"] = "attribute_not_exists(PK)"
    else:
        put["ConditionExpression"] = "version = :version"
        put["ExpressionAttributeValues"] = {":version": {"N": str(expected_version)}}
    return _Write({"Put": put}, "lead")


def _identity_sk(kind: str, value: str) -> str:
    return keys.email_sk(value) if kind == "email" else keys.phone_sk(value)


def _identity_keys(lead: StoredLead | None) -> dict[str, str]:
    """The lead's identity items: sort key -> kind."""
    if lead is None:
        return {}
    found = {
        _identity_sk(kind, value): kind
        for kind, value in (("email", lead.email_normalized), ("phone", lead.phone_e164))
        if value
    }
    found |= {keys.external_sk(provider, value): "external" for provider, value in lead.external_ids.items()}
    return found


def _identity_writes(tenant_id: str, lead_id: str, old: StoredLead | None, new: StoredLead | None) -> list[_Write]:
    """Move identities with the lead: free the old key (only if still ours), claim the new one (only if free)."""
    before, after = _identity_keys(old), _identity_keys(new)
    writes = [_delete(tenant_id, sk, owned_by=lead_id) for sk in before if sk not in after]
    writes += [
        _put(tenant_id, sk, kind, "attribute_not_exists(PK)", lead_id=lead_id)
        for sk, kind in after.items()
        if sk not in before
    ]
    return writes


def _membership_writes(tenant_id: str, lead_id: str, old: StoredLead | None, new: StoredLead | None) -> list[_Write]:
    """TAG# and SEARCH# items: delete what the lead no longer has, put what it gained."""
    old_tags = set(old.data.tags) if old else set()
    new_tags = set(new.data.tags) if new else set()
    old_tokens = old.search_tokens if old else frozenset()
    new_tokens = new.search_tokens if new else frozenset()
    writes = [_delete(tenant_id, keys.tag_sk(tag, lead_id)) for tag in sorted(old_tags - new_tags)]
    writes += [_put(tenant_id, keys.tag_sk(tag, lead_id), lead_id=lead_id) for tag in sorted(new_tags - old_tags)]
    writes += [_delete(tenant_id, keys.search_sk(token, lead_id)) for token in sorted(old_tokens - new_tokens)]
    writes += [
        _put(tenant_id, keys.search_sk(token, lead_id), lead_id=lead_id) for token in sorted(new_tokens - old_tokens)
    ]
    return writes


def _stage_ids(data: LeadData | None) -> list[int]:
    """The workspace stage a lead is counted in: an integer stage id (a string one, kept from before stages were
    real, names no stage and is not counted)."""
    stage = data.pipeline_stage_id if data else None
    return [stage] if isinstance(stage, int) and not isinstance(stage, bool) else []


def _count_writes(tenant_id: str, old: LeadData | None, new: LeadData | None) -> list[_Write]:
    """The workspace counts the lead leaves and joins, in its own transaction (leadgate.workspace.counts)."""
    moves = counts.moves(tenant_id, workspace_keys.STAGE, _stage_ids(old), _stage_ids(new))
    return [_Write(entry, "count") for entry in moves]


def _assignment_writes(tenant_id: str, old: StoredLead | None, new: StoredLead | None) -> list[_Write]:
    """The assigned user's check and count moves (leadgate.workspace.users.assignments)."""
    entries = assignments.writes(
        tenant_id,
        old.data if old else None,
        new.data if new else None,
        open_before=old is None or old.in_open_stage,
        open_after=new is None or new.in_open_stage,
    )
    return [_Write(entry, "assignee" if "ConditionCheck" in entry else "count") for entry in entries]


def _stage_history_writes(tenant_id: str, old: StoredLead | None, new: StoredLead, now: str) -> list[_Write]:
    """The move's history items, when the lead changes stage (leadgate.leads.stage_history)."""
    return [_Write(entry, "item") for entry in stage_history.writes(tenant_id, old, new, now)]


def _inquiry_writes(tenant_id: str, lead: StoredLead, inquiries: Sequence[NewInquiry], now: datetime) -> list[_Write]:
    writes = []
    lead_id = lead.id
    for inquiry in inquiries:
        inquiry_id = ids.new_ulid(now)
        attributes = item_mapping.inquiry_attributes(inquiry, inquiry_id, lead_id, iso(now), lead.version)
        if inquiry.form_id is not None:
            attributes.update(keys.form_submission_attributes(tenant_id, inquiry.form_id, inquiry_id))
        writes.append(_put(tenant_id, keys.inquiry_sk(lead_id, inquiry_id), "item", **attributes))
    return writes


def _consent_writes(tenant_id: str, lead_id: str, records: Sequence[ConsentRecord], now: datetime) -> list[_Write]:
    """Each consent record as its own item (append-only: a new id every time, never overwritten)."""
    writes = []
    for record in records:
        consent_id = ids.new_ulid(now)
        attributes = record.attributes(consent_id, lead_id)
        writes.append(_put(tenant_id, keys.consent_sk(lead_id, consent_id), "item", **attributes))
    return writes


def _stored(
    lead_id: str,
    data: LeadData,
    *,
    version: int,
    created_at: str,
    updated_at: str,
    inquiries: int,
    external_ids: Mapping[str, str],
    external_updated_at: Mapping[str, str],
    tag_ids: Mapping[str, int],
    consents: Mapping[str, Mapping[str, str]],
) -> StoredLead:
    return StoredLead(
        id=lead_id,
        data=data,
        version=version,
        created_at=created_at,
        updated_at=updated_at,
        inquiry_count=inquiries,
        email_normalized=data.email_normalized,
        phone_e164=data.phone_e164,
        search_tokens=data.search_tokens(),
        external_ids=dict(external_ids),
        external_updated_at=dict(external_updated_at),
        tag_ids=dict(tag_ids),
        consents=consents,
    )


def _tag_writes(changes: tag_catalog.LeadTagChanges) -> list[_Write]:
    """The tags catalog's entry of a lead write: its tag count moves (leadgate.workspace.tag_counts)."""
    return [_Write(entry, "item") for entry in changes.entries]


# ------------------------------------------------------------------ writes


def create(
    tenant_id: str,
    data: LeadData,
    *,
    inquiries: Sequence[NewInquiry] = (),
    external_ids: Mapping[str, str] | None = None,
    external_updated_at: Mapping[str, str] | None = None,
    tag_resolution: tag_catalog.Resolution | None = None,
    consents: Sequence[ConsentRecord] = (),
) -> StoredLead:
    """ONE TransactWriteItems: the lead, its identities (emails, phones and external ids, each claimed only
    if free), tags (with ONE item for their counts, and the catalog entries of names new to it:
    leadgate.workspace.tags), search tokens, inquiries, consent records, its stage's count and history item
    (leadgate.leads.stage_history), and its assigned user's check and count (ValidationFailed when that user is not
    active). Then ONE UpdateItem on the tenant's counters.
    `tag_resolution`: the catalog's answer for the lead's tags, when the caller read it with its own reads."""
    now = clock.now()
    stamp = iso(now)
    lead_id = ids.new_ulid(now)

    def planned(changes: tag_catalog.LeadTagChanges) -> tuple[StoredLead, list[_Write]]:
        lead = _stored(
            lead_id,
            data,
            version=1,
            created_at=stamp,
            updated_at=stamp,
            inquiries=len(inquiries),
            external_ids=external_ids or {},
            external_updated_at=external_updated_at or {},
            tag_ids=changes.tag_ids,
            consents=consent_rules.current({}, consents),
        )
        lead = stage_history.entering(tenant_id, None, lead, stamp)
        writes = _new_lead_writes(tenant_id, lead)
        writes += _stage_history_writes(tenant_id, None, lead, stamp)
        writes += _assignment_writes(tenant_id, None, lead)
        writes += _tag_writes(changes)
        writes += _inquiry_writes(tenant_id, lead, inquiries, now)
        writes += _consent_writes(tenant_id, lead.id, consents, now)
        writes += _count_writes(tenant_id, None, data)
        return lead, writes

    lead = _commit_with_tags(tenant_id, {}, data.tags, planned, tag_resolution)
    _count(tenant_id, keys.counter_changes(None, data))
    return lead


def _commit_with_tags(
    tenant_id: str,
    old_ids: Mapping[str, int],
    new_tags: Sequence[str],
    planned: Callable[[tag_catalog.LeadTagChanges], tuple[StoredLead, list[_Write]]],
    resolution: tag_catalog.Resolution | None,
) -> StoredLead:
    """Commit the lead write `planned` makes from its tags' catalog changes. Names new to the catalog are put
    there in the same transaction; when another write took one of those names or ids meanwhile, the names are
    resolved again. The last attempt, or a write with no room left for the catalog entries, puts them in the
    catalog first (`ahead`)."""
    for attempt in range(tag_catalog.CLAIM_ATTEMPTS):
        last = attempt + 1 == tag_catalog.CLAIM_ATTEMPTS
        changes = tag_catalog.lead_tag_changes(
            tenant_id, old_ids, new_tags, resolution=None if attempt else resolution, ahead=last
        )
        lead, writes = planned(changes)
        if len(writes) + len(changes.creations) > MAX_TRANSACTION_ITEMS and changes.creations:
            changes = tag_catalog.lead_tag_changes(tenant_id, old_ids, new_tags, ahead=True)
            lead, writes = planned(changes)
        try:
            _commit(tenant_id, writes + [_Write(entry, "catalog") for entry in changes.creations])
        except tag_catalog.CatalogChanged:
            continue
        return lead
    raise tag_catalog.CatalogChanged()  # unreachable: the last attempt creates no entry in the transaction


def _new_lead_writes(tenant_id: str, lead: StoredLead) -> list[_Write]:
    writes = [_put_lead(tenant_id, lead, expected_version=None)]
    writes += _identity_writes(tenant_id, lead.id, None, lead)
    writes += _membership_writes(tenant_id, lead.id, None, lead)
    return writes


def new_lead_items(tenant_id: str, lead: StoredLead) -> list[dict[str, Any]]:
    """The items `create` writes for a lead (lead, identities, tags, search tokens), for bulk loading."""
    return [write.operation["Put"]["Item"] for write in _new_lead_writes(tenant_id, lead)]


def update(
    tenant_id: str,
    current: StoredLead,
    data: LeadData,
    *,
    inquiries: Sequence[NewInquiry] = (),
    external_ids: Mapping[str, str] | None = None,
    external_updated_at: Mapping[str, str] | None = None,
    consents: Sequence[ConsentRecord] = (),
) -> StoredLead:
    """ONE transaction, conditional on `current.version`: the lead, identity moves, tag and token changes,
    inquiries, consent records, a stage move's history items, a new assigned user's check and the users' count
    moves. `external_ids` / `external_updated_at` replace the lead's (None keeps them).
    Raises ConcurrentModification if the lead changed since `current` was read, IdentityTaken if a new
    email, phone or external id belongs to another lead. Tags move their catalog counts in the transaction
    (ONE item, and the catalog entries of names new to it: leadgate.workspace.tags). Then ONE UpdateItem on the
    counters (none when no counted value changed)."""
    now = clock.now()

    def planned(changes: tag_catalog.LeadTagChanges) -> tuple[StoredLead, list[_Write]]:
        lead = _stored(
            current.id,
            data,
            version=current.version + 1,
            created_at=current.created_at,
            updated_at=max(iso(now), current.updated_at),
            inquiries=current.inquiry_count + len(inquiries),
            external_ids=current.external_ids if external_ids is None else external_ids,
            external_updated_at=current.external_updated_at if external_updated_at is None else external_updated_at,
            tag_ids=changes.tag_ids,
            consents=consent_rules.current(current.consents, consents),
        )
        lead = stage_history.entering(tenant_id, current, lead, iso(now))
        writes = [_put_lead(tenant_id, lead, expected_version=current.version)]
        writes += _stage_history_writes(tenant_id, current, lead, iso(now))
        writes += _identity_writes(tenant_id, lead.id, current, lead)
        writes += _membership_writes(tenant_id, lead.id, current, lead)
        writes += _assignment_writes(tenant_id, current, lead)
        writes += _tag_writes(changes)
        writes += _inquiry_writes(tenant_id, lead, inquiries, now)
        writes += _consent_writes(tenant_id, lead.id, consents, now)
        writes += _count_writes(tenant_id, current.data, data)
        return lead, writes

    lead = _commit_with_tags(tenant_id, current.tag_ids, data.tags, planned, None)
    _count(tenant_id, keys.counter_changes(current.data, data))
    return lead


def delete(tenant_id: str, current: StoredLead) -> None:
    """ONE transaction removing the lead (conditional on its version), its identities, tags and tokens.

    Then the counters, and the lead's inquiries in BatchWriteItem calls (they are invisible without the
    lead; a crash in between leaves unreachable inquiry items, never a half-deleted lead)."""
    lead_delete = {
        "TableName": _table(),
        "Key": keys.key(tenant_id, keys.lead_sk(current.id)),
        "ConditionExpression": "version = :version",
        "ExpressionAttributeValues": {":version": {"N": str(current.version)}},
    }
    writes = [_Write({"Delete": lead_delete}, "lead")]
    writes += _identity_writes(tenant_id, current.id, current, None)
    writes += _membership_writes(tenant_id, current.id, current, None)
    writes += _count_writes(tenant_id, current.data, None)
    writes += _assignment_writes(tenant_id, current, None)
    writes += _tag_writes(tag_catalog.lead_tag_changes(tenant_id, current.tag_ids, []))
    _commit(tenant_id, writes)
    _count(tenant_id, keys.counter_changes(current.data, None))
    if current.inquiry_count:
        delete_prefixed(tenant_id, keys.inquiry_prefix(current.id))


def erase(tenant_id: str, current: StoredLead, erasure: Mapping[str, Any]) -> None:
    """ONE transaction: the lead's item becomes its tombstone (conditional on the version read: a write in
    between is ConcurrentModification), its identities, tags and search tokens are deleted, its counts moved,
    and the erasure's record `erasure` (plain values, with `erased_at`) is put. Then the counters, as `delete`.
    Its inquiries and consents are the erasers' (leadgate.erasure), before this."""
    erased_at = erasure[item_mapping.ERASED_AT]
    tombstone = {
        "TableName": _table(),
        "Item": item_mapping.tombstone_item(tenant_id, current, erased_at),
        "ConditionExpression": "version = :version",
        "ExpressionAttributeValues": {":version": {"N": str(current.version)}},
    }
    writes = [_Write({"Put": tombstone}, "lead")]
    writes += _identity_writes(tenant_id, current.id, current, None)
    writes += _membership_writes(tenant_id, current.id, current, None)
    writes += _count_writes(tenant_id, current.data, None)
    writes += _assignment_writes(tenant_id, current, None)
    writes += _tag_writes(tag_catalog.lead_tag_changes(tenant_id, current.tag_ids, []))
    writes.append(_put(tenant_id, keys.erasure_sk(erased_at, current.id), **erasure))
    _commit(tenant_id, writes)
    _count(tenant_id, keys.counter_changes(current.data, None))


def _commit(tenant_id: str, writes: list[_Write]) -> None:
    """ONE TransactWriteItems. A transaction cancelled only because a concurrent one was writing a count shard
    it picked is tried again at once on other shards (nothing was written): two writers into one stage never
    answer 409 for the count alone (docs/workspace.md, "Counts")."""
    if len(writes) > MAX_TRANSACTION_ITEMS:
        raise TooManyChanges(len(writes))
    for attempt in range(COUNT_SHARD_ATTEMPTS):
        try:
            _client().transact_write_items(
                TransactItems=[write.operation for write in writes], ClientRequestToken=str(uuid.uuid4())
            )
            return
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                raise
            if attempt + 1 == COUNT_SHARD_ATTEMPTS or not _only_count_conflicts(writes, error):
                _raise_cancellation(tenant_id, writes, error)
            writes = [_Write(counts.reshard(w.operation), w.role) if w.role == "count" else w for w in writes]


def _only_count_conflicts(writes: list[_Write], error: ClientError) -> bool:
    reasons = error.response.get("CancellationReasons") or []
    failed = [(write, reason.get("Code")) for write, reason in zip(writes, reasons, strict=False)]
    failed = [(write, code) for write, code in failed if code not in (None, "None")]
    return bool(failed) and all(write.role == "count" and code == "TransactionConflict" for write, code in failed)


def _raise_cancellation(tenant_id: str, writes: list[_Write], error: ClientError) -> None:
    """Why the transaction was cancelled: an identity already taken, a concurrent change, or a real error."""
    reasons = error.response.get("CancellationReasons") or []
    failed = [(write, reason) for write, reason in zip(writes, reasons, strict=False) if reason.get("Code") != "None"]
    codes = {reason.get("Code") for _, reason in failed}
    if not failed or codes - {"ConditionalCheckFailed", "TransactionConflict"}:
        raise error
    if any(write.role == "catalog" for write, _ in failed):
        raise tag_catalog.CatalogChanged() from error
    if any(write.role == "assignee" and reason.get("Code") == "ConditionalCheckFailed" for write, reason in failed):
        raise assignments.refused() from error
    if "TransactionConflict" in codes or any(write.role not in IDENTITY_KINDS for write, _ in failed):
        raise ConcurrentModification() from error
    matches = {}
    for write, reason in failed:
        owner = reason.get("Item", {}).get("lead_id", {}).get("S")
        if owner is None:  # DynamoDB did not return the item: read the winner, strongly consistent
            owner = _identity_owner(tenant_id, write.operation["Put"]["Item"]["SK"]["S"])
        if owner is None:  # freed again in the meantime
            raise ConcurrentModification()
        matches[write.role] = owner
    raise IdentityTaken(matches)


def _identity_owner(tenant_id: str, sk: str) -> str | None:
    item = _client().get_item(TableName=_table(), Key=keys.key(tenant_id, sk), ConsistentRead=True).get("Item")
    return item["lead_id"]["S"] if item else None


def _count(tenant_id: str, changes: Mapping[str, int]) -> None:
    """ONE UpdateItem on the tenant's STATS item, after the transaction and outside it, so concurrent
    writers never conflict on it. A crash between the two leaves the counts off by this write."""
    if not changes:
        return
    names = {f"#c{i}": name for i, name in enumerate(changes)}
    values = {f":c{i}": {"N": str(delta)} for i, delta in enumerate(changes.values())}
    try:
        _client().update_item(
            TableName=_table(),
            Key=keys.key(tenant_id, keys.STATS_SK),
            UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(changes))),
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError:
        logger.exception("Lead counters not updated; list totals drift until recounted")


def delete_prefixed(tenant_id: str, prefix: str) -> int:
    """Every item of the tenant's partition whose sort key starts with `prefix` (a lead's INQ# or CONSENT#
    items): Query pages of keys, BatchWriteItem deletes; how many were deleted."""
    start = None
    deleted = 0
    while True:
        kwargs: dict[str, Any] = {
            "TableName": _table(),
            "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": keys.partition(tenant_id)},
                ":prefix": {"S": prefix},
            },
            "ProjectionExpression": "PK, SK",
            "ConsistentRead": True,
        }
        if start:
            kwargs["ExclusiveStartKey"] = start
        response = _client().query(**kwargs)
        _batch_delete([item for item in response["Items"]])
        deleted += len(response["Items"])
        start = response.get("LastEvaluatedKey")
        if not start:
            return deleted


def _batch_delete(item_keys: list[dict[str, Any]]) -> None:
    for first in range(0, len(item_keys), BATCH_WRITE_LIMIT):
        requests = [{"DeleteRequest": {"Key": item_key}} for item_key in item_keys[first : first + BATCH_WRITE_LIMIT]]
        dependencies.batch_write(_client(), {_table(): requests})


# ------------------------------------------------------------------ reads


def get(tenant_id: str, lead_id: str, *, consistent: bool = True) -> StoredLead | None:
    """ONE GetItem (strongly consistent by default: a read after a write sees it). Raises LeadErased for an
    erased lead's tombstone, UnreadableItem (reported) when the stored item cannot be read."""
    if not ids.is_ulid(lead_id):
        return None
    item = (
        _client()
        .get_item(TableName=_table(), Key=keys.key(tenant_id, keys.lead_sk(lead_id)), ConsistentRead=consistent)
        .get("Item")
    )
    if not item:
        return None
    if item_mapping.is_tombstone(item):
        raise LeadErased(lead_id, item[item_mapping.ERASED_AT]["S"])
    lead = item_mapping.read_lead(item, lead_id)
    if lead is None:
        raise UnreadableItem(lead_id)
    return lead


def find_by_identity(
    tenant_id: str,
    *,
    email: str | None = None,
    phone: str | None = None,
    external: tuple[str, str] | None = None,
) -> dict[str, str]:
    """Who owns these canonical identities ({"email": id, "phone": id, "external": id}; `external` is
    (provider, id)), strongly consistent: ONE GetItem for one identity, ONE BatchGetItem (ConsistentRead)
    for more."""
    wanted = _wanted_identities(email, phone, external)
    if not wanted:
        return {}
    if len(wanted) == 1:
        ((kind, sk),) = wanted.items()
        owner = _identity_owner(tenant_id, sk)
        return {kind: owner} if owner else {}
    items = batch_get(tenant_id, list(wanted.values()), consistent=True)
    return {kind: items[sk]["lead_id"]["S"] for kind, sk in wanted.items() if sk in items}


def find_by_identity_alongside(
    tenant_id: str,
    alongside: Sequence[dict[str, Any]],
    *,
    email: str | None = None,
    phone: str | None = None,
    external: tuple[str, str] | None = None,
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """`find_by_identity`, with the workspace items a lead write will need (`alongside`: their keys) read in the
    same BatchGetItem, strongly consistent: intake learns who owns the person and where a new lead lands, and
    which of its tags the catalog has, in ONE call. The owners, and the workspace items found."""
    wanted = _wanted_identities(email, phone, external)
    workspace_table = get_settings().workspace_table
    request = {
        _table(): {"Keys": [keys.key(tenant_id, sk) for sk in wanted.values()], "ConsistentRead": True},
        workspace_table: {"Keys": list(alongside), "ConsistentRead": True},
    }
    read, left = dependencies.batch_get(_client(), {table: ask for table, ask in request.items() if ask["Keys"]})
    if left:
        raise dependencies.Unprocessed("identity or workspace items left unread")
    owned = {item["SK"]["S"]: item["lead_id"]["S"] for item in read.get(_table(), [])}
    owners = {kind: owned[sk] for kind, sk in wanted.items() if sk in owned}
    return owners, read.get(workspace_table, [])


def _wanted_identities(email: str | None, phone: str | None, external: tuple[str, str] | None) -> dict[str, str]:
    wanted = {kind: _identity_sk(kind, value) for kind, value in (("email", email), ("phone", phone)) if value}
    if external:
        wanted["external"] = keys.external_sk(*external)
    return wanted


def lead_page(
    tenant_id: str, *, after: dict[str, Any] | None, limit: int
) -> tuple[list[StoredLead], dict[str, Any] | None]:
    """ONE Query of the tenant's partition: up to `limit` leads (LEAD# items, in id order) after `after` (the
    previous page's position), and the position after them (None at the end). For jobs that go through every
    lead of a tenant (leadgate.workspace.backfill), never for a request. Unreadable items are passed over."""
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :lead)",
        "ExpressionAttributeValues": {":pk": {"S": keys.partition(tenant_id)}, ":lead": {"S": keys.LEAD}},
        "ConsistentRead": True,
        "Limit": limit,
    }
    if after:
        query["ExclusiveStartKey"] = after
    page = _client().query(**query)
    found = (item_mapping.read_lead(item, keys.lead_id_of(item["SK"]["S"])) for item in page.get("Items", []))
    return [lead for lead in found if lead is not None], page.get("LastEvaluatedKey")


def get_many(tenant_id: str, lead_ids: Sequence[str]) -> list[StoredLead]:
    """The leads that exist among `lead_ids`, in that order: BatchGetItem, 100 keys a call."""
    items = batch_get(tenant_id, [keys.lead_sk(lead_id) for lead_id in lead_ids], consistent=True)
    found = (item_mapping.read_lead(items[keys.lead_sk(lead_id)], lead_id) for lead_id in lead_ids)
    return [lead for lead in found if lead is not None]


def changed_since(tenant_id: str, after: str, *, limit: int) -> tuple[list[tuple[str, str]], bool]:
    """ONE Query of the `by_updated` index: up to `limit` (lead id, updated_sort) with updated_sort > `after`
    (`{updated_at}#{id}`), oldest change first, and whether there may be more."""
    index = keys.SORT_INDEXES["updated_at"]
    page = _client().query(
        TableName=_table(),
        IndexName=index.index,
        KeyConditionExpression="#tenant = :tenant AND #sort > :after",
        ExpressionAttributeNames={"#tenant": keys.TENANT_ATTRIBUTE, "#sort": index.attribute},
        ExpressionAttributeValues={":tenant": {"S": keys.partition(tenant_id)}, ":after": {"S": after}},
        ScanIndexForward=True,
        Limit=limit,
    )
    found = [(keys.lead_id_of(item["SK"]["S"]), item[index.attribute]["S"]) for item in page.get("Items", [])]
    return found, "LastEvaluatedKey" in page


def batch_get(tenant_id: str, sort_keys: Iterable[str], *, consistent: bool = False) -> dict[str, dict[str, Any]]:
    """Items by SK, BatchGetItem in chunks of 100, retrying unprocessed keys."""
    unique = list(dict.fromkeys(sort_keys))
    found: dict[str, dict[str, Any]] = {}
    for first in range(0, len(unique), BATCH_GET_LIMIT):
        request = {
            _table(): {
                "Keys": [keys.key(tenant_id, sk) for sk in unique[first : first + BATCH_GET_LIMIT]],
                "ConsistentRead": consistent,
            }
        }
        items, left = dependencies.batch_get(_client(), request)
        if left:
            raise dependencies.Unprocessed("lead items left unread")
        found |= {item["SK"]["S"]: item for item in items.get(_table(), [])}
    return found


def stats(tenant_id: str) -> dict[str, int]:
    """The tenant's counters: ONE GetItem (eventually consistent)."""
    item = _client().get_item(TableName=_table(), Key=keys.key(tenant_id, keys.STATS_SK)).get("Item")
    return counters(item)


def counters(item: Mapping[str, Any] | None) -> dict[str, int]:
    if not item:
        return {}
    return {name: int(value["N"]) for name, value in item.items() if "N" in value}


# ------------------------------------------------------------------ tag changes of many leads (jobs)

# One TransactWriteItems carries at most this many bytes of lead items (DynamoDB's limit is 4 MB).
RETAG_TRANSACTION_BYTES = 3 * 1024 * 1024


def tagged(tenant_id: str, tag: str, *, after: str | None, limit: int) -> tuple[list[str], str | None]:
    """ONE Query of the tag's TAG# items (keys only): up to `limit` lead ids after the sort key `after`, and the
    last sort key read when there may be more (the position to go on from)."""
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "PK = :pk AND begins_with(SK, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.partition(tenant_id)},
            ":prefix": {"S": keys.tag_sk(tag, "")},
        },
        "ProjectionExpression": "SK",
        "ConsistentRead": True,
        "Limit": limit,
    }
    if after:
        query["ExclusiveStartKey"] = keys.key(tenant_id, after)
    page = _client().query(**query)
    found = [keys.lead_id_of(item["SK"]["S"]) for item in page.get("Items", [])]
    last = page.get("LastEvaluatedKey")
    return found, last["SK"]["S"] if last else None


Retag = tuple[StoredLead, LeadData, Mapping[str, int]]  # a lead as read, its new data, its new tag ids


def retag(tenant_id: str, changes: Sequence[Retag], entries: list[Any]) -> None:
    """Leads whose tags alone change (a tag merged into another by a job): each lead's new item, conditional
    on the version it was read at, and `entries` (count moves) in ONE TransactWriteItems (raises
    ConcurrentModification if any lead changed meanwhile: read them again); then `_after_retag`. The caller
    keeps a transaction within `MAX_TRANSACTION_ITEMS` and `RETAG_TRANSACTION_BYTES` (`retag_size`)."""
    written = _retagged(changes)
    writes = [_put_lead(tenant_id, lead, expected_version=current.version) for lead, (current, _, _) in written]
    writes += [_Write(entry, "item") for entry in entries]
    _commit(tenant_id, writes)
    _after_retag(tenant_id, written)


def retag_each(tenant_id: str, changes: Sequence[Retag]) -> list[str]:
    """As `retag` with no count to move (a tag renamed, or deleted): ONE conditional PutItem per lead, no
    transaction; returns the ids of the leads that changed meanwhile (read them again)."""
    written, conflicted = [], []
    for lead, change in _retagged(changes):
        put = _put_lead(tenant_id, lead, expected_version=change[0].version).operation["Put"]
        try:
            _client().put_item(**put)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            conflicted.append(lead.id)
            continue
        written.append((lead, change))
    _after_retag(tenant_id, written)
    return conflicted


def _retagged(changes: Sequence[Retag]) -> list[tuple[StoredLead, Retag]]:
    stamp = iso(clock.now())
    return [
        (
            dataclasses.replace(
                current,
                data=data,
                version=current.version + 1,
                updated_at=max(stamp, current.updated_at),
                tag_ids=dict(tag_ids),
            ),
            (current, data, tag_ids),
        )
        for current, data, tag_ids in changes
    ]


def _after_retag(tenant_id: str, written: Sequence[tuple[StoredLead, Retag]]) -> None:
    """The written leads' TAG# items (BatchWriteItem calls) and ONE UpdateItem on the counters. A crash before
    leaves TAG# items that `repair_tag_items` puts right when the job's page runs again."""
    memberships = [
        write.operation
        for lead, (current, _, _) in written
        for write in _membership_writes(tenant_id, lead.id, current, lead)
    ]
    requests = [
        {"PutRequest": {"Item": entry["Put"]["Item"]}}
        if "Put" in entry
        else {"DeleteRequest": {"Key": entry["Delete"]["Key"]}}
        for entry in memberships
    ]
    for first in range(0, len(requests), BATCH_WRITE_LIMIT):
        dependencies.batch_write(_client(), {_table(): requests[first : first + BATCH_WRITE_LIMIT]})
    totals: Counter[str] = Counter()
    for _, (current, data, _) in written:
        totals.update(keys.counter_changes(current.data, data))
    _count(tenant_id, {name: delta for name, delta in totals.items() if delta})


def retag_size(lead: StoredLead) -> int:
    """About the bytes a lead's item takes in a transaction (its attributes' JSON)."""
    return len(json.dumps(lead.record(), ensure_ascii=False, default=str).encode())


def repair_tag_items(tenant_id: str, lead: StoredLead, stale_tags: Iterable[str]) -> None:
    """The TAG# items of `stale_tags` the lead no longer holds are deleted, and the lead's own are put
    (BatchWriteItem): what a job interrupted between a lead's write and its TAG# items left behind."""
    requests = [{"DeleteRequest": {"Key": keys.key(tenant_id, keys.tag_sk(tag, lead.id))}} for tag in stale_tags]
    requests += [
        {"PutRequest": {"Item": _put(tenant_id, keys.tag_sk(tag, lead.id), lead_id=lead.id).operation["Put"]["Item"]}}
        for tag in lead.data.tags
    ]
    for first in range(0, len(requests), BATCH_WRITE_LIMIT):
        dependencies.batch_write(_client(), {_table(): requests[first : first + BATCH_WRITE_LIMIT]})
