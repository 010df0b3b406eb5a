"""The events journal (EventsTable): one item per event, kept 30 days, read newest or oldest first.

Keys (docs/access-patterns.md, "Events table"):
- item: `pk = T#{tenant}`, `sk = E#{event id}`: written with `attribute_not_exists(sk)`, so a record the stream
  delivers again journals nothing twice (and puts nothing on the table's stream twice);
- `written = {journal time}#{event id}`: the time the journal wrote the event (microseconds, increasing within a
  writer), assigned at write; index `by_time` (`pk`, `written`) orders a tenant's journal, `by_lead`
  (`lead_key = T#{tenant}#{lead id}`, `written`) a lead's;
- `body` = `Event.body()` (what the stream's readers decode with `Event.from_body`), `type`, `expires_at` (TTL).

Order: the journal time of a lead's events follows the lead's changes (one shard, one batch at a time), so a
reader sees a lead's events in order. A reader oldest first never reads the last `SETTLE_SECONDS`: a write
still in flight (a retried PutItem, a GSI not yet updated) cannot land behind its cursor.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError

from leadgate import aws, clock, cursors, dependencies
from leadgate.events.model import Event
from leadgate.settings import get_settings

RETENTION = timedelta(days=30)
SETTLE_SECONDS = 5
# A filtered read scans at most this many pages' worth of items before it answers a (possibly short) page.
MAX_FILTERED_ROUNDS = 5
BY_TIME, BY_LEAD = "by_time", "by_lead"
LATEST_BOUND, EARLIEST_BOUND = "~", "0"
BATCH_WRITE_LIMIT = 25


class _JournalClock:
    """Journal times strictly after the previous one of this process (a frozen or coarse clock still orders)."""

    def __init__(self) -> None:
        self._last = 0.0
        self._lock = threading.Lock()

    def stamp(self) -> str:
        with self._lock:
            now = clock.timestamp()
            # Within a second of each other (a frozen or coarse clock), one after the other; else the clock's time.
            self._last = self._last + 1e-6 if 0 <= self._last - now < 1 else now
            return clock.iso(self._last)


_journal_clock = _JournalClock()


EVENT_PREFIX = "E#"


def _table() -> str:
    return get_settings().events_table


def partition(tenant: str) -> str:
    return f"T#{tenant}"


def lead_key(tenant: str, lead_id: str) -> str:
    return f"T#{tenant}#{lead_id}"


def append(event: Event) -> bool:
    """ONE conditional PutItem; False when the event is already in the journal (a redelivered record)."""
    written = f"{_journal_clock.stamp()}#{event.id}"
    item: dict[str, Any] = {
        "pk": {"S": partition(event.tenant)},
        "sk": {"S": f"{EVENT_PREFIX}{event.id}"},
        "written": {"S": written},
        "type": {"S": event.type},
        "body": {"S": event.body()},
        "expires_at": {"N": str(int(clock.timestamp() + RETENTION.total_seconds()))},
    }
    if event.lead_id:
        item["lead_key"] = {"S": lead_key(event.tenant, event.lead_id)}
    try:
        aws.dynamodb().put_item(TableName=_table(), Item=item, ConditionExpression="attribute_not_exists(sk)")
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True


@dataclass(frozen=True)
class Query:
    """A read of one tenant's journal. `types`: exact types, or prefixes ending in `.*`; empty: every type."""

    tenant: str
    oldest_first: bool = False
    types: tuple[str, ...] = ()
    lead_id: str | None = None
    since: str | None = None  # ISO instants, compared with when the event was journaled
    until: str | None = None

    def digest(self) -> str:
        """What a cursor is bound to: the tenant, the order and the filters."""
        text = repr((self.tenant, self.oldest_first, self.types, self.lead_id, self.since, self.until))
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Read:
    events: list[Event]
    position: str | None  # the `written` key of the last item read (None: nothing read yet)
    more: bool  # whether items may follow `position` now


def read(query: Query, *, after: str | None, limit: int) -> Read:
    """Up to `limit` events after the position `after`: ONE Query of `limit` items unfiltered; filtered by type,
    up to MAX_FILTERED_ROUNDS Queries, each reading at most what is still missing (the page may come back short,
    with a position to go on from)."""
    found: list[Event] = []
    position, more = after, True
    rounds = 1 if not query.types else MAX_FILTERED_ROUNDS
    for _ in range(rounds):
        page = aws.dynamodb().query(**_query_arguments(query, position, limit - len(found)))
        found += [Event.from_body(item["body"]["S"]) for item in page.get("Items", [])]
        last = page.get("LastEvaluatedKey")
        if last:
            position = last["written"]["S"]
        elif page.get("Items"):
            position = page["Items"][-1]["written"]["S"]
        more = last is not None
        if not more or len(found) >= limit:
            break
    return Read(found, position, more)


def _query_arguments(query: Query, after: str | None, limit: int) -> dict[str, Any]:
    lower = query.since or EARLIEST_BOUND
    upper = f"{query.until}~" if query.until else LATEST_BOUND
    if query.oldest_first:
        settled = f"{clock.iso(clock.timestamp() - SETTLE_SECONDS)}~"
        upper = min(upper, settled)
    if query.lead_id:
        index, hash_name, hash_value = BY_LEAD, "lead_key", lead_key(query.tenant, query.lead_id)
    else:
        index, hash_name, hash_value = BY_TIME, "pk", partition(query.tenant)
    arguments: dict[str, Any] = {
        "TableName": _table(),
        "IndexName": index,
        "KeyConditionExpression": "#hash = :hash AND written BETWEEN :lower AND :upper",
        "ExpressionAttributeNames": {"#hash": hash_name},
        "ExpressionAttributeValues": {
            ":hash": {"S": hash_value},
            ":lower": {"S": lower},
            ":upper": {"S": upper},
        },
        "ScanIndexForward": query.oldest_first,
        "Limit": limit,
    }
    if after:
        start = {"pk": partition(query.tenant), "sk": f"{EVENT_PREFIX}{after.rsplit('#', 1)[1]}", "written": after}
        if query.lead_id:
            start["lead_key"] = hash_value
        arguments["ExclusiveStartKey"] = {name: {"S": value} for name, value in start.items()}
    if query.types:
        conditions = []
        for number, kind in enumerate(query.types):
            arguments["ExpressionAttributeValues"][f":t{number}"] = {"S": kind.removesuffix("*")}
            conditions.append(f"begins_with(#type, :t{number})" if kind.endswith("*") else f"#type = :t{number}")
        arguments["ExpressionAttributeNames"]["#type"] = "type"
        arguments["FilterExpression"] = " OR ".join(conditions)
    return arguments


def encode_position(query: Query, position: str | None) -> str:
    return cursors.encode({"q": query.digest(), "w": position})


def decode_position(query: Query, raw: str) -> str | None:
    """The position a cursor of this same read holds, else 400 INVALID_CURSOR."""
    body = cursors.decode(raw)
    if body.get("q") != query.digest():
        raise cursors.invalid("The cursor belongs to another list; start again without it.")
    position = body.get("w")
    if position is not None and not (isinstance(position, str) and "#evt_" in position and len(position) < 100):
        raise cursors.invalid(cursors.MALFORMED)
    return position


def lead_event_ids(tenant: str, lead_id: str) -> list[str]:
    """Every journaled event id of the lead: Queries of `by_lead`, keys only."""
    return [key["sk"]["S"].removeprefix(EVENT_PREFIX) for key in _lead_event_keys(tenant, lead_id)]


def erase_lead(tenant: str, lead_id: str, *, keep: frozenset[str] = frozenset()) -> int:
    """Deletes every journaled event of the lead but those of a type in `keep` (Query of `by_lead`, keys and
    type; BatchWriteItem); returns how many. Erasure calls it: the lead's personal data must not outlive it in
    the journal."""
    keys = [key for key in _lead_event_keys(tenant, lead_id) if key.pop("type", {}).get("S") not in keep]
    _delete(keys)
    return len(keys)


def _lead_event_keys(tenant: str, lead_id: str) -> list[dict[str, Any]]:
    keys: list[dict[str, Any]] = []
    start = None
    while True:
        arguments: dict[str, Any] = {
            "TableName": _table(),
            "IndexName": BY_LEAD,
            "KeyConditionExpression": "lead_key = :lead",
            "ExpressionAttributeValues": {":lead": {"S": lead_key(tenant, lead_id)}},
            "ProjectionExpression": "pk, sk, #type",
            "ExpressionAttributeNames": {"#type": "type"},
        }
        if start:
            arguments["ExclusiveStartKey"] = start
        page = aws.dynamodb().query(**arguments)
        keys += [{name: item[name] for name in ("pk", "sk", "type") if name in item} for item in page.get("Items", [])]
        start = page.get("LastEvaluatedKey")
        if not start:
            return keys


def _delete(item_keys: Sequence[dict[str, Any]]) -> None:
    for first in range(0, len(item_keys), BATCH_WRITE_LIMIT):
        chunk: Iterable[dict[str, Any]] = item_keys[first : first + BATCH_WRITE_LIMIT]
        dependencies.batch_write(aws.dynamodb(), {_table(): [{"DeleteRequest": {"Key": key}} for key in chunk]})
