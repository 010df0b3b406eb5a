"""Benchmark tenants: a deterministic population of leads, bulk-loaded with BatchWriteItem.

Each lead is validated as the API validates it (`LeadData`) and turned into exactly the items
`repository.create` would write (lead, identities, tags, search tokens) by the repository's own item
builders, then written 25 at a time. The tenant's STATS counters get the sum of what each create would
have added. Creating 100k leads through the API instead would take hours on moto (each transaction
deep-copies the table) and tens of minutes on DynamoDB Local.

The population is lean on purpose (most leads have a given name and the list attributes, few have an
email, a phone, a family name or tags): loading costs per item, while what the benchmark measures (a
request's cost) does not depend on what other leads carry. `POPULATION` below is documented in
docs/benchmarks.md.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from leadgate.leads import ids, keys, repository
from leadgate.leads.records import StoredLead, iso
from leadgate.leads.requests import LeadData

BATCH_WRITE_LIMIT = 25
COUNTERS_PER_UPDATE = 40
SPREAD_DAYS = 365

GIVEN_NAMES = (
    "Akira", "Aoi", "Daiki", "Emi", "Haruto", "Hinata", "Hiroshi", "Kaito", "Kana", "Kazuki",
    "Kenji", "Mai", "Makoto", "Mao", "Minato", "Misaki", "Natsuki", "Nozomi", "Ren", "Riku",
    "Rin", "Ryota", "Sakura", "Shota", "Sora", "Takumi", "Tomoya", "Tsubasa", "Wakana", "Yamato",
    "Yoshiko", "Yui", "Yuki", "Yuna", "Yuto", "Emiko", "Fumika", "Ichiro", "Jun", "Noriko",
)  # fmt: skip
FAMILY_NAMES = (
    "Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi",
    "Kato", "Yoshida", "Yamada", "Sasaki", "Yamaguchi", "Matsumoto", "Inoue", "Kimura", "Hayashi",
    "Shimizu", "Yamazaki",
)  # fmt: skip
SOURCES = {"web": 40, "hotlead": 25, "referral": 15, "event": 10, "phone": 10}
STATUSES = {"new": 35, "contacted": 25, "qualified": 15, "proposal": 10, "won": 8, "lost": 7}
PIPELINES = (1, 2, 3)
STAGES_PER_PIPELINE = 4
ASSIGNEES = tuple(range(1, 26))  # users 1..25: the users benchmark creates them first (bench/users.py)
TAGS = {"vip": 30, "hot": 20, "callback": 15, "newsletter": 10, "investor": 10, "partner": 10, "cold": 5}


@dataclass(frozen=True)
class Population:
    """How often a lead carries each optional attribute (every lead has the list attributes)."""

    family_name: float = 0.05
    email: float = 0.10
    phone: float = 0.05
    tagged: float = 0.15  # a third of the tagged leads have two tags
    starred: float = 0.10


POPULATION = Population()

# Values the list benchmarks filter on: each matches a useful share of any tenant.
FILTERS = {
    "source": "hotlead",
    "status": "qualified",
    "pipeline_id": "2",
    "stage_id": "21",
    "assigned_user_id": "7",
    "tag": "vip",
    "search": "yu",  # Yui, Yuki, Yuna, Yuto: about 10% of the tenant
    "starred": "true",
}


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def lead_fields(index: int, rng: random.Random, population: Population = POPULATION) -> dict[str, Any]:
    """The body of lead number `index` of a tenant (as a client would POST it)."""
    pipeline = rng.choice(PIPELINES)
    fields: dict[str, Any] = {
        "first_name": rng.choice(GIVEN_NAMES),
        "source": _weighted(rng, SOURCES),
        "status": _weighted(rng, STATUSES),
        "pipeline_id": pipeline,
        "pipeline_stage_id": pipeline * 10 + rng.randint(1, STAGES_PER_PIPELINE),
        "assigned_user_id": rng.choice(ASSIGNEES),
        "lead_score": rng.randint(0, 100),
        "starred": rng.random() < population.starred,
    }
    if rng.random() < population.family_name:
        fields["last_name"] = rng.choice(FAMILY_NAMES)
    if rng.random() < population.email:
        fields["email"] = f"lead{index}@example.com"
    if rng.random() < population.phone:
        fields["phone"] = f"090{10_000_000 + index:08d}"
    if rng.random() < population.tagged:
        count = 2 if rng.random() < 1 / 3 else 1
        fields["tags"] = list(dict.fromkeys(_weighted(rng, TAGS) for _ in range(count)))
    return fields


def generate(size: int, *, seed: int, now: datetime) -> Iterator[StoredLead]:
    """`size` leads created over the past year, oldest first, each updated up to 30 days later."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible population, not a secret
    start = now - timedelta(days=SPREAD_DAYS)
    step = timedelta(days=SPREAD_DAYS) / max(size, 1)
    for index in range(size):
        created = start + step * index
        updated = min(created + timedelta(minutes=rng.randint(0, 30 * 24 * 60)), now)
        data = LeadData.model_validate(lead_fields(index, rng))
        yield StoredLead(
            id=ids.new_ulid(created),
            data=data,
            version=1,
            created_at=iso(created),
            updated_at=iso(updated),
            email_normalized=data.email_normalized,
            phone_e164=data.phone_e164,
            search_tokens=data.search_tokens(),
        )


def lead_items(tenant_id: str, lead: StoredLead) -> list[dict[str, Any]]:
    """The items `repository.create` writes for a new lead, built by the repository itself."""
    return repository.new_lead_items(tenant_id, lead)


@dataclass
class LoadedTenant:
    """What the operations need to know about a loaded tenant."""

    tenant_id: str
    size: int
    items: int
    seconds: float
    lead_ids: list[str] = field(default_factory=list)  # a spread of existing leads, for get/update/delete
    newest_created_at: str = ""

    @property
    def items_per_lead(self) -> float:
        return self.items / self.size if self.size else 0.0


class BatchWriter:
    """Writes items 25 per BatchWriteItem on `threads` threads, retrying unprocessed items."""

    def __init__(self, client: Any, table: str, threads: int) -> None:
        self.client = client
        self.table = table
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="bench-load")
        self.pending: set[Future[None]] = set()
        self.limit = threads * 4  # batches in flight: keeps memory flat while the builder runs ahead
        self.buffer: list[dict[str, Any]] = []
        self.written = 0
        self._lock = threading.Lock()

    def add(self, items: Sequence[dict[str, Any]]) -> None:
        self.buffer.extend(items)
        while len(self.buffer) >= BATCH_WRITE_LIMIT:
            self._submit(self.buffer[:BATCH_WRITE_LIMIT])
            del self.buffer[:BATCH_WRITE_LIMIT]

    def close(self) -> None:
        if self.buffer:
            self._submit(self.buffer)
            self.buffer = []
        for future in self.pending:
            future.result()
        self.pool.shutdown()

    def _submit(self, batch: list[dict[str, Any]]) -> None:
        if len(self.pending) >= self.limit:
            done, self.pending = wait(self.pending, return_when=FIRST_COMPLETED)
            for future in done:
                future.result()
        self.pending.add(self.pool.submit(self._write, list(batch)))

    def _write(self, batch: list[dict[str, Any]]) -> None:
        requests = [{"PutRequest": {"Item": item}} for item in batch]
        delay = 0.05
        while requests:
            response = self.client.batch_write_item(RequestItems={self.table: requests})
            requests = response.get("UnprocessedItems", {}).get(self.table, [])
            if requests:
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        with self._lock:
            self.written += len(batch)


def load_tenant(
    client: Any, table: str, tenant_id: str, size: int, *, seed: int, threads: int = 1, sample: int = 64
) -> LoadedTenant:
    """Writes a tenant of `size` leads and its counters; returns a spread of `sample` lead ids."""
    started = time.perf_counter()
    now = datetime.now(UTC)
    writer = BatchWriter(client, table, threads)
    counters: Counter[str] = Counter()
    every = max(size // sample, 1)
    lead_ids: list[str] = []
    newest = ""
    try:
        for position, lead in enumerate(generate(size, seed=seed, now=now)):
            writer.add(lead_items(tenant_id, lead))
            counters.update(keys.counter_changes(None, lead.data))
            if position % every == 0 and len(lead_ids) < sample:
                lead_ids.append(lead.id)
            newest = lead.created_at
    finally:
        writer.close()
    _write_counters(client, table, tenant_id, counters)
    return LoadedTenant(tenant_id, size, writer.written, time.perf_counter() - started, lead_ids, newest)


def _write_counters(client: Any, table: str, tenant_id: str, counters: Counter[str]) -> None:
    """The STATS item as the creates would have left it (ADD, in a few UpdateItem calls)."""
    names = sorted(name for name, value in counters.items() if value)
    for first in range(0, len(names), COUNTERS_PER_UPDATE):
        chunk = names[first : first + COUNTERS_PER_UPDATE]
        client.update_item(
            TableName=table,
            Key=keys.key(tenant_id, keys.STATS_SK),
            UpdateExpression="ADD " + ", ".join(f"#c{i} :c{i}" for i in range(len(chunk))),
            ExpressionAttributeNames={f"#c{i}": name for i, name in enumerate(chunk)},
            ExpressionAttributeValues={f":c{i}": {"N": str(counters[name])} for i, name in enumerate(chunk)},
        )
