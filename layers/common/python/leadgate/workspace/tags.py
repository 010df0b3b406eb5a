"""The tags catalog (docs/workspace.md, "Tags catalog"): a tenant's tags with integer ids, colour and description.

A tag is two items in the tenant's workspace partition: its record (`TAG#{id}`: name, color, description,
times) and the claim of its name (`UNIQUE#tag#{name}` holding the id). Leads keep tags as names, and each
lead keeps the id of each of its tags (`StoredLead.tag_ids`): a lead write resolves the names it adds here,
puts names never seen in the catalog in its own transaction (conditional, so a concurrent creation of the same
name cancels one of them, which then resolves again), and carries its count moves there too
(`leadgate.workspace.tag_counts`). The lead API never needs a tag to exist first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from leadgate import aws, clock, dependencies, errors
from leadgate.settings import get_settings
from leadgate.workspace import ids, keys, tag_counts

# A tag being renamed or deleted by a job is hidden from the catalog until the job ends (its name is free).
RENAMING, DELETING = "renaming", "deleting"


@dataclass(frozen=True)
class Tag:
    id: int
    name: str
    color: str | None
    description: str | None
    created_at: str
    updated_at: str
    lead_count: int = 0
    state: str | None = None  # None, or RENAMING / DELETING while a job changes its leads
    merged_into: int | None = None  # a rename onto an existing tag: the tag that takes its leads

    @property
    def etag(self) -> str:
        return f'"{self.updated_at}"'

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "color": self.color,
            "description": self.description,
            "lead_count": self.lead_count,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True)
class LeadTagChanges:
    """What a lead write adds to its transaction for its tags, and its tag ids: at most ONE count entry, and
    for names new to the catalog (`created`) their catalog entries (`creations`: the ids taken from the tag
    sequence, each name's claim and record), all conditional, so the catalog changes with the lead or not at
    all. A cancelled creation (another write took a name or an id meanwhile) is `CatalogChanged`."""

    entries: list[dict[str, Any]]
    tag_ids: dict[str, int]
    creations: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Resolution:
    """What the catalog held for some names at one read: the ids of those it has, and the tag sequence's last
    id (0 before the tenant's first tag), from which the others take theirs in the lead's transaction."""

    asked: frozenset[str]
    ids: dict[str, int]
    last_id: int


class CatalogChanged(Exception):
    """A lead write's catalog entries were cancelled: a name or an id was taken meanwhile. Resolve again."""


def _table() -> str:
    return get_settings().workspace_table


# How often a lead write resolves its new names again when other writes take names or ids meanwhile; the last
# attempt puts them in the catalog ahead of the lead's transaction (`_claim`), which always ends.
CLAIM_ATTEMPTS = 4


def lead_tag_changes(
    tenant_id: str,
    old_ids: Mapping[str, int],
    new_tags: Sequence[str],
    *,
    resolution: Resolution | None = None,
    ahead: bool = False,
) -> LeadTagChanges:
    """The catalog side of a lead whose tags become `new_tags`: kept names keep their id; added names (and
    names held from before the catalog) are resolved in ONE BatchGetItem (none when `resolution`, read with the
    caller's own reads, covers them); names never seen take the next ids of the tag sequence, and their catalog
    entries ride in the lead's transaction (`creations`). `ahead` puts them in the catalog before instead
    (`_claim`: an UpdateItem and a transaction of their own), for a lead whose transaction has no room for
    them. The count entry moves every tag the lead adds or removes (`tag_counts`). No call at all when the tags
    are unchanged."""
    tag_ids = {name: old_ids[name] for name in new_tags if name in old_ids}
    wanted = list(dict.fromkeys(name for name in new_tags if name not in tag_ids))
    creations: list[dict[str, Any]] = []
    if wanted and ahead:
        tag_ids |= _claim(tenant_id, wanted)
    elif wanted:
        if resolution is None or not resolution.asked.issuperset(wanted):
            resolution = resolve_with_sequence(tenant_id, wanted)
        tag_ids |= {name: resolution.ids[name] for name in wanted if name in resolution.ids}
        unseen = [name for name in wanted if name not in resolution.ids]
        if unseen:
            first = resolution.last_id + 1
            allocated = dict(zip(unseen, range(first, first + len(unseen)), strict=True))
            creations = _creations(tenant_id, resolution.last_id, allocated)
            tag_ids |= allocated
    entries = tag_counts.moves(tenant_id, old_ids.values(), tag_ids.values())
    return LeadTagChanges(entries, {name: tag_ids[name] for name in new_tags}, creations)


def _creations(tenant_id: str, last_id: int, allocated: Mapping[str, int]) -> list[dict[str, Any]]:
    """The catalog entries of names new to it, for the lead's own transaction: the tag sequence moved from the
    `last_id` read to the last id taken (conditional on still being `last_id`: ids are never shared), and each
    name's claim and record (conditional on being free)."""
    sequence = {
        "Update": {
            "TableName": _table(),
            "Key": keys.key(keys.partition(tenant_id), keys.sequence_sk(keys.TAG)),
            "UpdateExpression": "SET #last = :taken",
            "ConditionExpression": "#last = :seen" if last_id else "attribute_not_exists(#last)",
            "ExpressionAttributeNames": {"#last": "last"},
            "ExpressionAttributeValues": {
                ":taken": {"N": str(last_id + len(allocated))},
                **({":seen": {"N": str(last_id)}} if last_id else {}),
            },
        }
    }
    stamp = clock.iso(clock.now())
    return [sequence] + [
        entry
        for name, tag_id in allocated.items()
        for entry in _creation(tenant_id, tag_id, name, color=None, description=None, stamp=stamp)
    ]


def _claim(tenant_id: str, names: Sequence[str]) -> dict[str, int]:
    """The ids of `names`, creating those not in the catalog: their ids (ONE UpdateItem) and their claims and
    records in ONE TransactWriteItems, conditional on each name being free. Before the lead's own write: only
    for a lead whose transaction has no room for them (a lead holds up to 50 tags, a transaction 100 items),
    or that lost the race for names or ids too often; a lead write that then fails leaves a tag with no
    leads, as if it had been created ahead of use."""
    for _ in range(CLAIM_ATTEMPTS):
        resolved = resolve(tenant_id, names)
        unseen = [name for name in names if name not in resolved]
        if not unseen:
            return resolved
        stamp = clock.iso(clock.now())
        allocated = dict(zip(unseen, ids.allocate(tenant_id, keys.TAG, len(unseen)), strict=True))
        entries = [
            entry
            for name, tag_id in allocated.items()
            for entry in _creation(tenant_id, tag_id, name, color=None, description=None, stamp=stamp)
        ]
        try:
            aws.dynamodb().transact_write_items(TransactItems=entries)
        except aws.dynamodb().exceptions.TransactionCanceledException:
            continue  # a name was claimed meanwhile: it resolves now
        return resolved | allocated
    raise errors.Conflict("Tags were created concurrently; retry.")


def resolution_keys(tenant_id: str, names: Iterable[str]) -> list[dict[str, Any]]:
    """The workspace keys a `Resolution` of `names` reads: each name's claim and the tag sequence. A caller
    reading other items anyway (intake's identity read) asks for these in the same BatchGetItem."""
    claims = [_name_key(tenant_id, name) for name in dict.fromkeys(names)]
    return [*claims, keys.key(keys.partition(tenant_id), keys.sequence_sk(keys.TAG))]


def resolution_from(tenant_id: str, names: Iterable[str], items: Iterable[Mapping[str, Any]]) -> Resolution:
    """The `Resolution` of `names` from the workspace items read with `resolution_keys` (others are ignored)."""
    asked = frozenset(names)
    prefix = keys.unique_sk(keys.TAG, "")
    sequence = keys.sequence_sk(keys.TAG)
    partition = keys.partition(tenant_id)
    found: dict[str, int] = {}
    last_id = 0
    for item in items:
        if item["pk"]["S"] != partition:
            continue
        sk = item["sk"]["S"]
        if sk == sequence:
            last_id = int(item["last"]["N"])
        elif sk.startswith(prefix) and sk[len(prefix) :] in asked:
            found[sk[len(prefix) :]] = int(item["id"]["N"])
    return Resolution(asked, found, last_id)


def resolve_with_sequence(tenant_id: str, names: Sequence[str]) -> Resolution:
    """ONE BatchGetItem (strongly consistent) of the names' claims and the tag sequence. A lead holds at most
    50 tags, so one call; more names take one call per 99."""
    wanted = list(dict.fromkeys(names))
    read: list[Mapping[str, Any]] = []
    for first in range(0, max(len(wanted), 1), 99):
        request = {_table(): {"Keys": resolution_keys(tenant_id, wanted[first : first + 99]), "ConsistentRead": True}}
        items, left = dependencies.batch_get(aws.dynamodb(), request)
        if left:
            raise dependencies.Unprocessed("tag names left unread")
        read += items.get(_table(), [])
    return resolution_from(tenant_id, wanted, read)


def resolve(tenant_id: str, names: Iterable[str]) -> dict[str, int]:
    """The ids of the names that are in the catalog: ONE BatchGetItem per 99 names, strongly consistent."""
    wanted = list(dict.fromkeys(names))
    return resolve_with_sequence(tenant_id, wanted).ids if wanted else {}


def _creation(
    tenant_id: str, tag_id: int, name: str, *, color: str | None, description: str | None, stamp: str
) -> list[dict[str, Any]]:
    """The claim of the name and the tag's record: conditional, so a name is claimed once."""
    record = {
        **keys.object_key(tenant_id, keys.TAG, tag_id),
        "id": {"N": str(tag_id)},
        "name": {"S": name},
        "created_at": {"S": stamp},
        "updated_at": {"S": stamp},
        **({"color": {"S": color}} if color else {}),
        **({"description": {"S": description}} if description else {}),
    }
    claim = {**_name_key(tenant_id, name), "id": {"N": str(tag_id)}}
    return [
        {"Put": {"TableName": _table(), "Item": claim, "ConditionExpression": "attribute_not_exists(pk)"}},
        {"Put": {"TableName": _table(), "Item": record, "ConditionExpression": "attribute_not_exists(pk)"}},
    ]


def _name_key(tenant_id: str, name: str) -> dict[str, Any]:
    return keys.key(keys.partition(tenant_id), keys.unique_sk(keys.TAG, name))


# ------------------------------------------------------------------ the catalog's own API


def create(tenant_id: str, name: str, color: str | None, description: str | None) -> Tag:
    """ONE UpdateItem (the id) and ONE TransactWriteItems (claim and record); a taken name is a 409."""
    tag_id = ids.allocate_one(tenant_id, keys.TAG)
    stamp = clock.iso(clock.now())
    try:
        aws.dynamodb().transact_write_items(
            TransactItems=_creation(tenant_id, tag_id, name, color=color, description=description, stamp=stamp)
        )
    except aws.dynamodb().exceptions.TransactionCanceledException as cancelled:
        raise errors.Conflict("A tag with this name exists.", extra={"name": name}) from cancelled
    return Tag(tag_id, name, color, description, stamp, stamp)


def get(tenant_id: str, tag_id: int) -> Tag:
    """ONE GetItem and ONE Query (its count); a tag being deleted or merged away is not found."""
    item = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=keys.object_key(tenant_id, keys.TAG, tag_id), ConsistentRead=True)
        .get("Item")
    )
    tag = _tag(item) if item else None
    if tag is None or tag.state == DELETING or tag.merged_into:
        raise errors.NotFound("No such tag.")
    return _with_count(tag, tag_counts.count(tenant_id, tag_id))


def list_all(tenant_id: str) -> list[Tag]:
    """Every visible tag with its count: ONE Query of the tenant's tag records (pages of 1 MB) and ONE of the
    count shards. A tenant has thousands of tags at most (docs/workspace.md), so sorting happens here."""
    found: list[Tag] = []
    query: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.partition(tenant_id)},
            ":prefix": {"S": keys.object_prefix(keys.TAG)},
        },
    }
    while True:
        page = aws.dynamodb().query(**query)
        found += [tag for tag in map(_tag, page.get("Items", [])) if tag.state != DELETING and not tag.merged_into]
        if "LastEvaluatedKey" not in page:
            break
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    tallies = tag_counts.counts(tenant_id) if found else {}
    return [_with_count(tag, tallies.get(tag.id, 0)) for tag in found]


def update_details(tenant_id: str, tag: Tag, color: str | None, description: str | None) -> Tag:
    """Colour and description only (a rename is a change of its own: leadgate.workspace.tag_changes)."""
    stamp = max(clock.iso(clock.now()), tag.updated_at)
    aws.dynamodb().update_item(
        TableName=_table(),
        Key=keys.object_key(tenant_id, keys.TAG, tag.id),
        UpdateExpression="SET color = :color, description = :description, updated_at = :now",
        ConditionExpression="updated_at = :then",
        ExpressionAttributeValues={
            ":color": {"S": color} if color else {"NULL": True},
            ":description": {"S": description} if description else {"NULL": True},
            ":now": {"S": stamp},
            ":then": {"S": tag.updated_at},
        },
    )
    return Tag(tag.id, tag.name, color, description, tag.created_at, stamp, tag.lead_count)


def _tag(item: Mapping[str, Any]) -> Tag:
    def text(name: str) -> str | None:
        return item.get(name, {}).get("S")

    merged = item.get("merged_into", {}).get("N")
    return Tag(
        id=int(item["id"]["N"]),
        name=item["name"]["S"],
        color=text("color"),
        description=text("description"),
        created_at=item["created_at"]["S"],
        updated_at=item["updated_at"]["S"],
        state=text("state"),
        merged_into=int(merged) if merged else None,
    )


def _with_count(tag: Tag, lead_count: int) -> Tag:
    return Tag(
        tag.id,
        tag.name,
        tag.color,
        tag.description,
        tag.created_at,
        tag.updated_at,
        lead_count,
        tag.state,
        tag.merged_into,
    )
