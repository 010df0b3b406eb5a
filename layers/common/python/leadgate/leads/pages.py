"""Reading a list page: the planned key source (leadgate.leads.query) read, hydrated and filtered.

`list_leads` reads one page of a `LeadPlan`, examining at most BUDGET_FACTOR x per_page candidates;
`list_inquiries` and `list_consents` one page of a lead's inquiries or consent records, `list_stage_moves` of its
stage history, `list_erasures` of the erasures' records. Positions are plain-string key maps (the cursor's
content); `skip` serves page numbers without a cursor by reading keys only. docs/access-patterns.md lists the
calls.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from leadgate import aws
from leadgate.leads import items as item_mapping
from leadgate.leads import keys, repository, stage_history
from leadgate.leads.consents import ConsentRecord
from leadgate.leads.query import BUDGET_FACTOR, Candidate, KeySource, LeadPlan
from leadgate.leads.records import StoredInquiry, StoredLead
from leadgate.leads.stage_history import StageMove
from leadgate.settings import get_settings


class InvalidStartKey(Exception):
    """DynamoDB refused a list position (a forged cursor outside the query's key range)."""


@dataclass(frozen=True)
class LeadPage:
    leads: list[StoredLead]
    next_position: dict[str, str] | None  # None: nothing after this page
    stats: dict[str, int] | None  # the tenant's STATS counters, when the plan has a counter
    unreadable: int = 0  # items this page passed over because they could not be read (reported)


@dataclass(frozen=True)
class InquiryPage:
    inquiries: list[StoredInquiry]
    next_position: dict[str, str] | None
    unreadable: int = 0


@dataclass(frozen=True)
class ErasurePage:
    erasures: list[dict[str, Any]]
    next_position: dict[str, str] | None


@dataclass(frozen=True)
class ConsentPage:
    consents: list[ConsentRecord]
    next_position: dict[str, str] | None
    unreadable: int = 0


def _client() -> Any:
    return aws.dynamodb()


def _table() -> str:
    return get_settings().leads_table


def _query(
    source: KeySource, start: Mapping[str, str] | None, limit: int
) -> tuple[list[dict[str, Any]], dict[str, str] | None]:
    """ONE Query of a key source; the items and the LastEvaluatedKey (as plain strings) if there is more."""
    condition, names, values = source.key_condition()
    kwargs: dict[str, Any] = {
        "TableName": _table(),
        "KeyConditionExpression": condition,
        "ExpressionAttributeNames": names,
        "ExpressionAttributeValues": values,
        "ScanIndexForward": source.forward,
        "Limit": limit,
    }
    if source.index:
        kwargs["IndexName"] = source.index
    if start:
        kwargs["ExclusiveStartKey"] = {name: {"S": value} for name, value in start.items()}
    try:
        response = _client().query(**kwargs)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ValidationException" and start:
            raise InvalidStartKey() from error
        raise
    last = response.get("LastEvaluatedKey")
    return response["Items"], {name: value["S"] for name, value in last.items()} if last else None


def _candidate(source: KeySource, item: Mapping[str, Any]) -> Candidate:
    sort_key = item["SK"]["S"]
    position = {name: item[name]["S"] for name in source.position_attributes}
    return Candidate(position=position, lead_id=keys.lead_id_of(sort_key), sort_key=sort_key)


def list_leads(
    tenant_id: str,
    lead_plan: LeadPlan,
    *,
    per_page: int,
    start: Mapping[str, str] | None = None,
    skip: int = 0,
) -> LeadPage:
    """One page of a planned list, examining at most BUDGET_FACTOR x per_page candidates.

    `skip` (page numbers without a cursor; exact plans only) passes over that many keys first, reading
    keys only. The page ends early when the budget runs out; `next_position` then continues after the
    last candidate examined, so following positions visits every match exactly once.
    """
    if skip:
        start, exhausted = _skip(lead_plan.source, start, skip)
        if exhausted:
            return LeadPage([], None, repository.stats(tenant_id) if lead_plan.counter else None)
    return _PageReader(tenant_id, lead_plan, per_page, start).read()


def _skip(source: KeySource, start: Mapping[str, str] | None, count: int) -> tuple[dict[str, str] | None, bool]:
    """Pass over `count` keys of the source's KEYS_ONLY twin; (position, whether the source ran out)."""
    skipper = source.skip_source
    position = dict(start) if start else None
    remaining = count
    while remaining > 0:
        items, last = _query(skipper, position, remaining)
        remaining -= len(items)
        if items:
            position = {name: items[-1][name]["S"] for name in skipper.position_attributes}
        if last is None:
            break
        position = last
    if remaining > 0 or position is None:
        return None, True
    return {name: position[name] for name in source.position_attributes}, False


class _PageReader:
    """Reads keys from the plan's source, hydrates them in small batches and filters in memory."""

    def __init__(self, tenant_id: str, lead_plan: LeadPlan, per_page: int, start: Mapping[str, str] | None):
        self.tenant_id = tenant_id
        self.plan = lead_plan
        self.source = lead_plan.source
        self.per_page = per_page
        self.budget = BUDGET_FACTOR * per_page
        self.pending: deque[tuple[Candidate, dict[str, Any]]] = deque()
        self.fetch_from: dict[str, str] | None = dict(start) if start else None
        self.more = True
        self.examined = 0
        self.rounds = 0
        self.hydrated: dict[str, StoredLead | None] = {}  # by id; None: the key's lead is gone
        self.stats: dict[str, int] | None = None
        self.unreadable = 0

    def read(self) -> LeadPage:
        matched: list[StoredLead] = []
        position = self.fetch_from
        while len(matched) < self.per_page and self.examined < self.budget:
            if not self.pending:
                if not self.more:
                    break
                self._fetch(self.per_page - len(matched))
                continue
            batch = self._take(self.per_page - len(matched))
            self._hydrate(batch)
            for candidate, _item in batch:
                self.pending.popleft()
                self.examined += 1
                position = candidate.position
                lead = self.hydrated.get(candidate.lead_id)
                if lead is not None and all(check(lead, candidate) for check in self.plan.predicates):
                    matched.append(lead)
                    if len(matched) == self.per_page:
                        break
        has_more = bool(self.pending) or self.more
        if self.plan.counter and self.stats is None:
            self.stats = repository.stats(self.tenant_id)
        return LeadPage(matched, position if has_more else None, self.stats, self.unreadable)

    def _fetch(self, needed: int) -> None:
        """Read the next keys: one more than needed (to know whether a next page exists) for exact plans,
        the remaining budget's worth (keys are cheap) when filters apply in memory."""
        if self.plan.exact or self.source.full_items:
            limit = self._chunk(needed) + 1
        else:
            limit = self.budget - self.examined + 1
        items, last = _query(self.source, self.fetch_from, limit)
        self.pending.extend((_candidate(self.source, item), item) for item in items)
        self.more = last is not None
        self.fetch_from = last

    def _chunk(self, needed: int) -> int:
        """How many leads to hydrate now: what the page still needs, doubling each round that filters
        left it short, within the budget and BatchGetItem's 100 keys."""
        grown = needed if self.plan.exact else needed << min(self.rounds, 6)
        return max(1, min(grown, self.budget - self.examined, repository.BATCH_GET_LIMIT))

    def _take(self, needed: int) -> list[tuple[Candidate, dict[str, Any]]]:
        """The next candidates, up to `_chunk` leads not hydrated yet (a search meets a lead once per
        matching token: its repeats cost nothing) and within the budget."""
        fresh_limit, fresh = self._chunk(needed), set()
        batch = []
        for candidate, item in self.pending:
            if len(batch) == self.budget - self.examined:
                break
            if candidate.lead_id not in self.hydrated and candidate.lead_id not in fresh:
                if len(fresh) == fresh_limit:
                    break
                fresh.add(candidate.lead_id)
            batch.append((candidate, item))
        self.rounds += 1
        return batch

    def _hydrate(self, batch: list[tuple[Candidate, dict[str, Any]]]) -> None:
        wanted = [(candidate, item) for candidate, item in batch if candidate.lead_id not in self.hydrated]
        if self.source.full_items:
            for candidate, item in wanted:
                self._keep(candidate.lead_id, item)
            return
        sort_keys = [keys.lead_sk(candidate.lead_id) for candidate, _ in wanted]
        if self.plan.counter and self.stats is None:  # the counters ride along with the first hydration
            sort_keys.append(keys.STATS_SK)
        items = repository.batch_get(self.tenant_id, sort_keys)
        if keys.STATS_SK in sort_keys:
            self.stats = repository.counters(items.pop(keys.STATS_SK, None))
        for candidate, _ in wanted:
            self._keep(candidate.lead_id, items.get(keys.lead_sk(candidate.lead_id)))

    def _keep(self, lead_id: str, item: Mapping[str, Any] | None) -> None:
        """A hydrated lead; None when its key is stale (the lead is gone) or its item cannot be read."""
        lead = item_mapping.read_lead(item, lead_id) if item else None
        self.unreadable += bool(item) and lead is None and not item_mapping.is_tombstone(item)
        self.hydrated[lead_id] = lead


def list_inquiries(
    tenant_id: str,
    lead_id: str,
    *,
    per_page: int,
    start: Mapping[str, str] | None = None,
    skip: int = 0,
    forward: bool = False,
) -> InquiryPage:
    """ONE Query of the lead's INQ# items (newest first by default), one more than the page for lookahead;
    `skip` (page numbers without a cursor) passes over that many first."""
    source = inquiry_source(tenant_id, lead_id, forward=forward)
    return InquiryPage(*_prefixed(source, per_page, start, skip, lambda item: item_mapping.read_inquiry(item, lead_id)))


def list_consents(
    tenant_id: str, lead_id: str, *, per_page: int, start: Mapping[str, str] | None = None, skip: int = 0
) -> ConsentPage:
    """ONE Query of the lead's CONSENT# items, newest first, as `list_inquiries`."""
    source = consent_source(tenant_id, lead_id)
    return ConsentPage(*_prefixed(source, per_page, start, skip, lambda item: item_mapping.read_consent(item, lead_id)))


def _prefixed(
    source: KeySource,
    per_page: int,
    start: Mapping[str, str] | None,
    skip: int,
    read: Callable[[Mapping[str, Any]], Any],
) -> tuple[list[Any], dict[str, str] | None, int]:
    """One page of a sort-key prefix: its records, the next position, how many items could not be read."""
    if skip:
        start, exhausted = _skip(source, start, skip)
        if exhausted:
            return [], None, 0
    items, last = _query(source, start, per_page + 1)
    page = items[:per_page]
    has_more = len(items) > per_page or last is not None
    found = [read(item) for item in page]
    records = [record for record in found if record is not None]
    position = {"PK": page[-1]["PK"]["S"], "SK": page[-1]["SK"]["S"]} if page and has_more else None
    return records, position, len(found) - len(records)


def list_stage_moves(
    tenant_id: str, lead_id: str, *, per_page: int, start: Mapping[str, str] | None = None, skip: int = 0
) -> tuple[list[StageMove], dict[str, str] | None]:
    """ONE Query of the lead's MOVE# items, newest first (as `list_inquiries`); the moves and the next position."""
    moves, position, _ = _prefixed(
        stage_move_source(tenant_id, lead_id), per_page, start, skip, stage_history.read_move
    )
    return moves, position


def inquiry_source(tenant_id: str, lead_id: str, *, forward: bool = False) -> KeySource:
    return KeySource(
        "inquiries", None, "PK", keys.partition(tenant_id), ("PK", "SK"), forward, prefix=keys.inquiry_prefix(lead_id)
    )


def list_erasures(
    tenant_id: str, *, per_page: int, start: Mapping[str, str] | None = None, skip: int = 0
) -> ErasurePage:
    """ONE Query of the tenant's ERASURE# records, newest first, as `list_inquiries`."""
    found, position, _ = _prefixed(erasure_source(tenant_id), per_page, start, skip, item_mapping.read_erasure)
    return ErasurePage(found, position)


def erasure_source(tenant_id: str) -> KeySource:
    return KeySource("erasures", None, "PK", keys.partition(tenant_id), ("PK", "SK"), False, prefix=keys.ERASURE)


def consent_source(tenant_id: str, lead_id: str) -> KeySource:
    return KeySource(
        "consents", None, "PK", keys.partition(tenant_id), ("PK", "SK"), False, prefix=keys.consent_prefix(lead_id)
    )


def stage_move_source(tenant_id: str, lead_id: str) -> KeySource:
    return KeySource(
        "stage_moves",
        None,
        "PK",
        keys.partition(tenant_id),
        ("PK", "SK"),
        False,
        prefix=keys.stage_move_prefix(lead_id),
    )
