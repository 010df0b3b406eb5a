"""List planning: which ordered key source serves a list request, what is checked in memory, and cursors.

Every list reads one ordered source of keys (the base table's LEAD#, TAG# or SEARCH# items, or a
KEYS_ONLY GSI) in the requested direction, hydrates the keys with BatchGetItem and applies every
filter in memory to the hydrated leads. docs/access-patterns.md explains the choices and their cost.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadgate import cursors, normalize
from leadgate.leads import consents, ids, keys
from leadgate.leads.params import LeadListParams
from leadgate.leads.records import StoredLead

BUDGET_FACTOR = 5  # a page examines at most 5 x per_page candidates


@dataclass(frozen=True)
class KeySource:
    """An ordered run of keys: `partition_attribute = partition_value` and a sort key condition."""

    name: str
    index: str | None  # None: the base table
    partition_attribute: str
    partition_value: str
    position_attributes: tuple[str, ...]  # the key attributes of a position (ExclusiveStartKey)
    forward: bool
    sort_attribute: str = "SK"
    low: str | None = None  # inclusive bounds of the sort key
    high: str | None = None
    prefix: str | None = None  # or a sort key prefix
    full_items: bool = False  # the query returns whole leads: nothing to hydrate
    skip_via: KeySource | None = None  # a KEYS_ONLY twin that page skipping reads instead

    def key_condition(self) -> tuple[str, dict[str, str], dict[str, dict[str, str]]]:
        names = {"#p": self.partition_attribute}
        values = {":p": {"S": self.partition_value}}
        condition = "#p = :p"
        if self.low is not None and self.high is not None:
            names["#s"] = self.sort_attribute
            values |= {":low": {"S": self.low}, ":high": {"S": self.high}}
            condition += " AND #s BETWEEN :low AND :high"
        elif self.prefix is not None:
            names["#s"] = self.sort_attribute
            values[":prefix"] = {"S": self.prefix}
            condition += " AND begins_with(#s, :prefix)"
        return condition, names, values

    @property
    def skip_source(self) -> KeySource:
        return self.skip_via or self


@dataclass(frozen=True)
class Candidate:
    """One key read from a source: where it is (for cursors) and which lead it names."""

    position: dict[str, str]
    lead_id: str
    sort_key: str


Predicate = Callable[[StoredLead, Candidate], bool]


@dataclass(frozen=True)
class LeadPlan:
    tenant_id: str
    source: KeySource
    predicates: tuple[Predicate, ...]  # every filter, checked on each hydrated lead
    exact: bool  # the source alone yields exactly the matching leads: pages can be skipped by keys
    counter: str | None  # the STATS counter that is this list's total, when one exists
    fingerprint: str  # tenant + filters + order: what a cursor is bound to


def plan(tenant_id: str, params: LeadListParams) -> LeadPlan:
    """The cheapest correct way to read this list (priority: search > tag > the equality filters)."""
    forward = params.direction == "asc"
    low_id, high_id = _id_range(params.created_after, params.created_before)
    ranged = params.created_after is not None or params.created_before is not None
    predicates = _predicates(params, low_id, high_id)
    pk = keys.partition(tenant_id)

    if params.search is not None and params.sort == "created_at":
        prefix = _search_prefix(params)
        source = KeySource("search", None, "PK", pk, ("PK", "SK"), forward, prefix=f"{keys.SEARCH}{prefix}")
        predicates.append(_first_match(prefix, forward))
        served = set()  # a lead can match several tokens: never exact
    elif params.sort != "created_at":
        spec = keys.SORT_INDEXES[params.sort]
        source = KeySource(
            spec.index,
            spec.index,
            keys.TENANT_ATTRIBUTE,
            pk,
            ("PK", "SK", keys.TENANT_ATTRIBUTE, spec.attribute),
            forward,
            sort_attribute=spec.attribute,
        )
        if params.search is not None:  # in this order, a search is one more filter
            predicates.append(_any_match(_search_prefix(params)))
        served = set()
    elif params.tag is not None:
        source = KeySource(
            "tag",
            None,
            "PK",
            pk,
            ("PK", "SK"),
            forward,
            low=keys.tag_sk(params.tag, low_id),
            high=keys.tag_sk(params.tag, high_id),
        )
        served = {"tag", "created"}
    elif (spec := _first_filter(params)) is not None:
        value = params.starred if spec is keys.STARRED else getattr(params, spec.param)
        partition_value = pk if spec is keys.STARRED else keys.filter_key(tenant_id, value)
        source = KeySource(
            spec.index,
            spec.index,
            spec.attribute,
            partition_value,
            ("PK", "SK", spec.attribute),
            forward,
            low=keys.lead_sk(low_id),
            high=keys.lead_sk(high_id),
        )
        served = {spec.param, "created"}
    else:
        by_created = KeySource(
            keys.CREATED_INDEX,
            keys.CREATED_INDEX,
            keys.TENANT_ATTRIBUTE,
            pk,
            ("PK", "SK", keys.TENANT_ATTRIBUTE),
            forward,
            low=keys.lead_sk(low_id),
            high=keys.lead_sk(high_id),
        )
        source = KeySource(
            "created",
            None,
            "PK",
            pk,
            ("PK", "SK"),
            forward,
            low=keys.lead_sk(low_id),
            high=keys.lead_sk(high_id),
            full_items=True,
            skip_via=by_created,
        )
        served = {"created"}

    active = set(_active_filters(params)) | ({"created"} if ranged else set())
    return LeadPlan(
        tenant_id=tenant_id,
        source=source,
        predicates=tuple(predicates),
        exact=params.search is None and active <= served,
        counter=_counter(params, ranged),
        fingerprint=fingerprint(tenant_id, params),
    )


def _first_filter(params: LeadListParams) -> keys.FilterIndex | None:
    for spec in keys.FILTER_INDEXES:
        if getattr(params, spec.param) is not None:
            return spec
    return keys.STARRED if params.starred else None


def _active_filters(params: LeadListParams) -> dict[str, Any]:
    """The equality filters given, by parameter name (`starred=false` included)."""
    names = [spec.param for spec in keys.FILTER_INDEXES] + ["tag", "starred", "consent"]
    return {name: getattr(params, name) for name in names if getattr(params, name) is not None}


def _counter(params: LeadListParams, ranged: bool) -> str | None:
    """The list's exact total lives in STATS for no filter and for one equality filter (starred=true, tag)."""
    active = _active_filters(params)
    if ranged or params.search is not None or len(active) > 1 or params.consent is not None:
        return None
    if not active:
        return keys.TOTAL_COUNTER
    ((name, value),) = active.items()
    if name == "starred":
        return keys.STARRED.counter if value else None
    if name == "tag":
        return keys.counter_name("tag", value)
    spec = next(spec for spec in keys.FILTER_INDEXES if spec.param == name)
    return keys.counter_name(spec.counter, value)


def _id_range(after: datetime | None, before: datetime | None) -> tuple[str, str]:
    return (
        ids.floor_id(after) if after else keys.FIRST_ID,
        ids.ceiling_id(before) if before else keys.LAST_ID,
    )


def _predicates(params: LeadListParams, low_id: str, high_id: str) -> list[Predicate]:
    predicates: list[Predicate] = []
    for spec in keys.FILTER_INDEXES:
        wanted = getattr(params, spec.param)
        if wanted is not None:
            predicates.append(_equals(spec.field, wanted))
    if params.tag is not None:
        tag = params.tag
        predicates.append(lambda lead, _candidate: tag in lead.data.tags)
    if params.starred is not None:
        starred = params.starred
        predicates.append(lambda lead, _candidate: lead.data.starred is starred)
    if params.created_after is not None or params.created_before is not None:
        predicates.append(lambda lead, _candidate: low_id <= lead.id <= high_id)
    if params.consent is not None:
        purpose = params.consent
        predicates.append(lambda lead, _candidate: consents.granted(lead.consents, purpose))
    return predicates


def _equals(field: str, wanted: str) -> Predicate:
    def matches(lead: StoredLead, _candidate: Candidate) -> bool:
        value = getattr(lead.data, field)
        return value is not None and keys.filter_value(value) == wanted

    return matches


def _search_prefix(params: LeadListParams) -> str:
    return normalize.search_prefix(params.search) or ""


def _any_match(prefix: str) -> Predicate:
    return lambda lead, _candidate: any(token.startswith(prefix) for token in lead.search_tokens)


def _first_match(prefix: str, forward: bool) -> Predicate:
    """A lead is listed at the first of its tokens the source meets, so it appears exactly once."""
    pick = min if forward else max

    def first(lead: StoredLead, candidate: Candidate) -> bool:
        matching = [token for token in lead.search_tokens if token.startswith(prefix)]
        return bool(matching) and keys.token_of(candidate.sort_key) == pick(matching)

    return first


def fingerprint(tenant_id: str, params: LeadListParams) -> str:
    """What a cursor is valid for: the tenant, every filter and the order (not the page size)."""
    return digest(tenant_id, params.model_dump(mode="json", exclude={"page", "per_page", "cursor"}))


def digest(tenant_id: str, bound: Mapping[str, Any]) -> str:
    text = json.dumps({"tenant": tenant_id, **bound}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Cursor:
    """Where the next page starts: the source, the last key consumed, the page number and offset."""

    source: str
    position: dict[str, str]
    page: int
    offset: int
    fingerprint: str

    def encode(self) -> str:
        return cursors.encode(
            {"s": self.source, "k": self.position, "p": self.page, "o": self.offset, "h": self.fingerprint}
        )


def decode_cursor(raw: str, *, tenant_id: str, source: KeySource, expected_fingerprint: str) -> Cursor:
    """A cursor this very query produced, else 400 INVALID_CURSOR (another tenant's, another query's, garbage)."""
    body = cursors.decode(raw)
    if body.get("h") != expected_fingerprint or body.get("s") != source.name:
        raise cursors.invalid("The cursor belongs to another query; start again without it.")
    position, page, offset = body.get("k"), body.get("p"), body.get("o")
    if (
        not _valid_position(position, source, keys.partition(tenant_id))
        or not cursors.is_count(page, minimum=2)
        or not cursors.is_count(offset)
    ):
        raise cursors.invalid(cursors.MALFORMED)
    return Cursor(source.name, dict(position), page, offset, expected_fingerprint)


def _valid_position(position: Any, source: KeySource, tenant_partition: str) -> bool:
    """Exactly the source's key attributes, as strings, inside the tenant's and the source's partition."""
    if not isinstance(position, Mapping) or set(position) != set(source.position_attributes):
        return False
    if not all(isinstance(value, str) and 0 < len(value) <= 2048 for value in position.values()):
        return False
    if position["PK"] != tenant_partition or position[source.partition_attribute] != source.partition_value:
        return False
    sort_value = position[source.sort_attribute]
    if source.low is not None and source.high is not None:
        return source.low <= sort_value <= source.high
    return source.prefix is None or sort_value.startswith(source.prefix)
