"""Benchmark operations: real handlers, real API Gateway REST events, every DynamoDB call metered.

Each operation is a request a client makes, sent to `functions/<name>/app.py`'s `lambda_handler` with
the authorizer context our authorizer produces. `metered_dynamodb()` counts what the request asked of
each table; the wall time of the handler call is the latency (meaningful on DynamoDB Local only).
"""

from __future__ import annotations

import itertools
import json
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from leadgate.aws import reset_clients
from leadgate.settings import get_settings
from leadgate_dev import harness
from leadgate_dev.bench.metering import DynamoMeter, metered_dynamodb
from leadgate_dev.bench.population import FILTERS, LoadedTenant
from leadgate_dev.harness import Reply
from leadgate_dev.harness.events import rest_event

SCOPES = ("read:leads", "write:leads", "delete:leads")
# The benchmark's own client must never be limited; the rate-limit section sets its own policies.
UNLIMITED = json.dumps([{"limit": 100_000_000, "window": 3600}])
DEEP_PAGE = 50
PER_PAGE = 15


def authorizer_context(tenant_id: str, client_id: str, *, rate_policies: str = UNLIMITED) -> dict[str, str]:
    """The bench client's authorizer context: every leads scope, and never limited unless told."""
    return harness.authorizer_context(tenant_id, SCOPES, client_id, rate_policies=rate_policies)


@dataclass(frozen=True)
class Request:
    function: str
    method: str
    path: str
    query: dict[str, str] | None = None
    body: Any = None
    headers: dict[str, str] | None = None
    authorizer: dict[str, str] | None = None
    source_ip: str = "127.0.0.1"


def invoke(request: Request) -> Reply:
    event = rest_event(
        request.method,
        request.path,
        query=request.query,
        body=request.body,
        headers=request.headers,
        authorizer=request.authorizer,
        source_ip=request.source_ip,
    )
    # The bench counts calls and items: the harness's budget is Lambda's maximum, so that a loaded machine
    # never turns a slow request into a 503 at the function's deadline (leadgate.dependencies).
    return harness.call(request.function, event)


@dataclass(frozen=True)
class Cost:
    """What one request asked of DynamoDB: the operation's own calls and items (leads and idempotency
    tables), and apart from them the rate limiter's calls, which every authenticated request makes."""

    calls: Counter[str]  # "GetItem", or "PutItem (idempotency)" for a table other than the leads table
    items_read: int
    items_written: int
    rate_limit: Counter[str]
    rate_limit_written: int
    scans: int

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    @classmethod
    def of(cls, meter: DynamoMeter) -> Cost:
        settings = get_settings()
        calls: Counter[str] = Counter()
        read = written = 0
        for table, share in meter.tables.items():
            if table == settings.rate_limit_table:
                continue
            suffix = "" if table == settings.leads_table else f" ({_table_label(table)})"
            calls.update({f"{operation}{suffix}": count for operation, count in share.calls.items()})
            read += share.items_read
            written += share.items_written
        limiter = meter.table(settings.rate_limit_table)
        return cls(calls, read, written, Counter(limiter.calls), limiter.items_written, meter.calls.get("Scan", 0))

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.calls + other.calls,
            self.items_read + other.items_read,
            self.items_written + other.items_written,
            self.rate_limit + other.rate_limit,
            self.rate_limit_written + other.rate_limit_written,
            self.scans + other.scans,
        )


def _table_label(table: str) -> str:
    """`bench-IdempotencyTable` -> `idempotency`."""
    name = table.rsplit("-", 1)[-1]
    return name.removesuffix("Table").lower() or table


@dataclass
class Measurement:
    """One operation, repeated: its cost per repeat, what it returned and how long it took."""

    name: str
    costs: list[Cost] = field(default_factory=list)
    returned: list[int] = field(default_factory=list)
    latencies_ms: list[float] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    expected_status: int = 200
    requests: int = 1  # requests per repeat (a walk through pages is several)
    minimum: str = ""  # the least the design needs, where the table shows it

    @property
    def ok(self) -> bool:
        return bool(self.statuses) and all(status == self.expected_status for status in self.statuses)

    @property
    def scans(self) -> int:
        return sum(cost.scans for cost in self.costs)

    @property
    def median_ms(self) -> float | None:
        return statistics.median(self.latencies_ms) if self.latencies_ms else None


def measure(
    name: str,
    requests: Callable[[int], Request],
    *,
    repeats: int,
    expected_status: int = 200,
    count: Callable[[Reply], int] | None = None,
    minimum: str = "",
) -> Measurement:
    """Send `requests(i)` for i in range(repeats), each inside its own meter and timer."""
    measurement = Measurement(name, expected_status=expected_status, minimum=minimum)
    for repeat in range(repeats):
        request = requests(repeat)
        with metered_dynamodb() as meter:
            started = time.perf_counter()
            reply = invoke(request)
            elapsed = (time.perf_counter() - started) * 1000
        measurement.costs.append(Cost.of(meter))
        measurement.latencies_ms.append(elapsed)
        measurement.statuses.append(reply.status)
        measurement.returned.append((count or returned_records)(reply))
    return measurement


def returned_records(reply: Reply) -> int:
    body = reply.body
    if reply.status >= 400 or not isinstance(body, dict):
        return 0
    data = body.get("data")
    if isinstance(data, list):
        return len(data)
    return 1 if data is not None or body else 0


# ------------------------------------------------------------------ the leads API


def new_lead_body(serial: int) -> dict[str, Any]:
    """A complete lead as a CRM integration sends it: identities, kana, tags, every list attribute."""
    return {
        "first_name": "花子",
        "last_name": "佐藤",
        "first_name_kana": "はなこ",
        "last_name_kana": "さとう",
        "email": f"hanako.sato.{serial}@example.co.jp",
        "phone": f"080{20_000_000 + serial:08d}",
        "company": "株式会社サンプル",
        "source": "web",
        "status": "new",
        "pipeline_id": 1,  # LeadHub's example: the default pipeline's second stage, made on first use
        "pipeline_stage_id": 2,
        "assigned_user_id": 1,
        "tags": ["vip", "web-form"],
        "custom_fields": {"budget": "3000万円", "area": "東京都"},
        "lead_score": 40,
    }


@dataclass
class LeadsApi:
    """Requests of one tenant's client against the leads function."""

    tenant: LoadedTenant
    client_id: str = "bench-client"

    @property
    def context(self) -> dict[str, str]:
        return authorizer_context(self.tenant.tenant_id, self.client_id)

    def request(self, method: str, path: str, *, query: dict[str, str] | None = None, body: Any = None) -> Request:
        return Request("leads", method, path, query=query, body=body, authorizer=self.context)

    def list(self, query: dict[str, str] | None = None) -> Request:
        return self.request("GET", "/api/v1/leads", query=query)

    def lead(self, method: str, lead_id: str, body: Any = None, suffix: str = "") -> Request:
        return self.request(method, f"/api/v1/leads/{lead_id}{suffix}", body=body)


# Unique numbers for the emails and phones of the leads the benchmark creates (never reused in a run).
SERIALS = itertools.count(1)


def lead_operations(api: LeadsApi, neighbour: LoadedTenant, *, repeats: int, walk: bool = True) -> list[Measurement]:
    """Every leads operation the issue names, at this tenant's size."""
    ids = api.tenant.lead_ids
    invoke(api.list())  # warm: clients built and routes compiled, as in a warm Lambda instance
    results = [
        measure("get", lambda i: api.lead("GET", ids[i]), repeats=repeats),
        measure(
            "get another tenant's lead (404)",
            lambda i: api.lead("GET", neighbour.lead_ids[i]),
            repeats=repeats,
            expected_status=404,
        ),
    ]
    results.append(
        measure(
            "create (email, phone, 2 tags, kana)",
            lambda i: api.request("POST", "/api/v1/leads", body=new_lead_body(next(SERIALS))),
            repeats=repeats,
            expected_status=201,
        )
    )
    created = _created_leads(api, repeats)
    results += [
        measure(
            "lookup by email and phone",
            lambda i: api.request(
                "GET", "/api/v1/leads/lookup", query={"email": created[i]["email"], "phone": created[i]["phone"]}
            ),
            repeats=repeats,
        ),
        measure(
            "update (PATCH status and notes)",
            lambda i: api.lead("PATCH", ids[8 + i], {"status": "nurturing", "notes": f"called back, round {i}"}),
            repeats=repeats,
        ),
        measure(
            "update (PATCH email: moves the identity)",
            lambda i: api.lead("PATCH", created[i]["id"], {"email": f"moved.{next(SERIALS)}@example.co.jp"}),
            repeats=repeats,
        ),
        measure("add a tag", lambda i: api.lead("POST", ids[16 + i], {"tag": "bench"}, "/tags"), repeats=repeats),
        measure(
            "remove a tag",
            lambda i: api.lead("DELETE", ids[16 + i], suffix="/tags/bench"),
            repeats=repeats,
            expected_status=204,
        ),
        measure(
            "delete (a lead with identities, tags, tokens)",
            lambda i: api.lead("DELETE", created[i]["id"]),
            repeats=repeats,
            expected_status=204,
        ),
    ]
    results += privacy_operations(api, repeats=repeats)
    results += list_operations(api, repeats=repeats, walk=walk)
    return results


CONSENT = {"purpose": "marketing", "status": "granted", "text_version": "v1", "page_url": "https://example.co.jp/"}


def privacy_operations(api: LeadsApi, *, repeats: int) -> list[Measurement]:
    """Consent and erasure (docs/privacy.md): a create with a consent, its records, an erasure, and the consent
    filter once the erased leads were the only ones granting it (its worst case: a page of nothing). The erasure
    has no connection and no inquiry: add a Query per 1 MB and a BatchWriteItem per 25 inquiries, and a
    DeleteItem per connection of a linked provider."""
    consenting = measure(
        "create with a consent (+1 CONSENT# item in the transaction)",
        lambda i: api.request("POST", "/api/v1/leads", body={**new_lead_body(next(SERIALS)), "consents": [CONSENT]}),
        repeats=repeats,
        expected_status=201,
    )
    created = _created_leads(api, repeats)
    return [
        consenting,
        measure(
            "consent records of a lead",
            lambda i: api.lead("GET", created[i]["id"], suffix="/consents"),
            repeats=repeats,
        ),
        measure(
            "erase (2 identities, 2 tags, tokens, 1 consent)",
            lambda i: api.lead("POST", created[i]["id"], suffix="/erase"),
            repeats=repeats,
        ),
        measure(
            "list, consent=marketing (in memory; after the erasures no lead granted it)",
            lambda i: api.list({"consent": "marketing"}),
            repeats=repeats,
        ),
    ]


def _created_leads(api: LeadsApi, count: int) -> list[dict[str, Any]]:
    """The records `create` just made: the tenant's newest leads."""
    reply = invoke(api.list({"per_page": str(max(count, 1))}))
    mine = [lead for lead in reply.body["data"] if (lead.get("email") or "").startswith("hanako.sato.")]
    if len(mine) < count:
        raise RuntimeError(f"the created leads are not the newest: {reply.status} {str(reply.body)[:300]}")
    return mine


def list_operations(api: LeadsApi, *, repeats: int, walk: bool = True) -> list[Measurement]:
    """Unfiltered, each filter, the created range, a combination served by one index, each sort, a deep page."""
    now = datetime.now(UTC)
    created_range = {
        "created_after": (now - timedelta(days=60)).date().isoformat(),
        "created_before": (now - timedelta(days=31)).date().isoformat(),
    }
    lists: list[tuple[str, dict[str, str]]] = [
        ("list, no filter (15)", {}),
        ("list, no filter, per_page=100", {"per_page": "100"}),
        *[(f"list, {name}={value}", {name: value}) for name, value in FILTERS.items()],
        ("list, created range (30 days)", created_range),
        ("list, source + status (index + filter)", {"source": FILTERS["source"], "status": FILTERS["status"]}),
        *[(f"list, sort={sort}", {"sort": sort}) for sort in ("updated_at", "lead_score", "first_name")],
        *[(f"list, sort={sort} asc", {"sort": sort, "direction": "asc"}) for sort in ("last_name", "email")],
    ]
    deep = deep_page(api.tenant.size)
    lists.append((f"list, page={deep} (page number)", {"page": str(deep)}))
    results = [measure(name, lambda i, query=query: api.list(query), repeats=repeats) for name, query in lists]
    results += deep_page_by_cursor(api, deep, repeats=repeats, walk=walk)
    return results


def deep_page(size: int) -> int:
    """Page 50, or the deepest full page of a smaller tenant."""
    return max(2, min(DEEP_PAGE, size // PER_PAGE))


def deep_page_by_cursor(api: LeadsApi, page: int, *, repeats: int, walk: bool) -> list[Measurement]:
    """Page `page` by cursor: that request, and (when `walk`) every request of a client that follows
    `links.next` from page 1 to it. Without `walk` the cursor comes from page `page - 1`'s `links.next`."""
    queries: list[dict[str, str]] = [{}] if walk else [{"page": str(page - 1)}]
    for _ in range(page - 1 if walk else 1):
        reply = invoke(api.list(queries[-1]))
        queries.append(dict(parse_qsl(urlsplit(reply.body["links"]["next"]).query)))
    deep = measure(f"list, page {page} via cursor (that request)", lambda i: api.list(queries[-1]), repeats=repeats)
    if not walk:
        return [deep]
    walked = Measurement(f"list, pages 1-{page} via cursors (all {page} requests)", requests=page)
    for query in queries:
        single = measure("", lambda i, query=query: api.list(query), repeats=1)
        walked.statuses += single.statuses
        walked.costs = [walked.costs[0] + single.costs[0]] if walked.costs else single.costs
        walked.returned = [(walked.returned[0] if walked.returned else 0) + single.returned[0]]
        walked.latencies_ms = [(walked.latencies_ms[0] if walked.latencies_ms else 0.0) + single.latencies_ms[0]]
    return [deep, walked]


# ------------------------------------------------------------------ intake


def inbound_person(serial: int, *, respelled: bool = False) -> dict[str, Any]:
    """A LeadHub inbound lead; `respelled` is the same person as another form types them."""
    email = f"taro.yamada.{serial}@example.jp"
    phone = f"070{30_000_000 + serial:08d}"
    if respelled:
        email = f"  {email.upper()} "
        phone = f"+81 70-{phone[3:7]}-{phone[7:]}"
    return {
        "first_name": "太郎",
        "last_name": "山田",
        "email": email,
        "phone": phone,
        "source": "inbound-form",
        "tags": ["inbound"],
        "created_at": "2025-04-01T10:00:00+09:00",
    }


def hotlead_registration(tenant_id: str, serial: int) -> dict[str, Any]:
    return {
        "created_at": "2025-04-01T10:00:00+09:00",
        "media_domain": "portal.example.jp",
        "unit_id": tenant_id,
        "profile": {
            "name": "山田 太郎",
            "name_kana": "やまだ たろう",
            "email": f"hotlead.{serial}@example.jp",
            "phone": f"070{40_000_000 + serial:08d}",
            "address": "東京都千代田区",
        },
        "inquiry": {"property_id": "P-1001", "message": "内覧希望"},
    }


def intake_operations(tenant: LoadedTenant, *, repeats: int) -> list[Measurement]:
    """Intake per request: new, matched, ambiguous and replayed, beside the minimum the design needs."""
    tenant_id = tenant.tenant_id
    context = authorizer_context(tenant_id, "bench-intake")

    def inbound(body: Any, headers: dict[str, str] | None = None) -> Request:
        return Request(
            "inbound", "POST", "/api/inbound/leads", {"tenant": tenant_id}, body, headers, authorizer=context
        )

    def hotlead(body: Any) -> Request:
        return Request("inbound", "POST", "/public/api/leads", body=body, authorizer=context)

    people = [next(SERIALS) for _ in range(repeats)]
    strangers = [inbound_person(next(SERIALS)) for _ in range(repeats)]  # owners of the phones "ambiguous" sends
    keys = [f"bench-{next(SERIALS)}" for _ in range(repeats)]
    keyed = [inbound_person(next(SERIALS)) for _ in range(repeats)]
    registrations = [hotlead_registration(tenant_id, next(SERIALS)) for _ in range(repeats)]
    new_items = _new_lead_items(_lead_values(inbound_person(people[0])))
    hotlead_items = _new_lead_items(_hotlead_values(registrations[0]))
    results = [
        measure(
            "new (LeadHub inbound)",
            lambda i: inbound(inbound_person(people[i])),
            repeats=repeats,
            expected_status=201,
            minimum=f"5 / 5 / {new_items + 7}: ONE BatchGetItem on both tables (metered on each): the identities "
            "(both keys), the default pipeline's marker (where the lead lands), the tag's claim and the tag "
            f"sequence; 1 transaction of {new_items + 3} items (lead, 2 identities, inquiry, tag, search tokens, "
            "the first stage's history item, the stage's count shard, the tag count item: two tables, metered on "
            "each; a tag new to the catalog "
            "adds 3 items: the sequence, its claim, its record), counter update",
        ),
        measure(
            "matched (same person, respelled)",
            lambda i: inbound(inbound_person(people[i], respelled=True)),
            repeats=repeats,
            minimum="4 / 6 / 2: identity read (with the marker, the tag's claim and the tag sequence a new lead "
            "would need: the same call, metered on each table), lead read, 1 transaction (lead, inquiry); no "
            "counter update when no counted value changes",
        ),
    ]
    for stranger in strangers:
        invoke(inbound(stranger))
    results += [
        measure(
            "ambiguous (email of one lead, phone of another)",
            lambda i: inbound({**inbound_person(people[i]), "phone": strangers[i]["phone"]}),
            repeats=repeats,
            expected_status=409,
            minimum="2 / 5 / 0: identity read (with what a new lead would need); nothing written",
        ),
        measure(
            "new, with an Idempotency-Key",
            lambda i: inbound(keyed[i], {"Idempotency-Key": keys[i]}),
            repeats=repeats,
            expected_status=201,
            minimum=f"7 / 5 / {new_items + 5}: new (its tag already in the catalog) + the idempotency record "
            "(conditional put, then the response)",
        ),
        measure(
            "replayed (same Idempotency-Key and body)",
            lambda i: inbound(keyed[i], {"Idempotency-Key": keys[i]}),
            repeats=repeats,
            expected_status=201,
            minimum="1 / 0 / 0: the conditional put fails and returns the stored response",
        ),
        measure(
            "HOTLEAD registration, new",
            lambda i: hotlead(registrations[i]),
            repeats=repeats,
            expected_status=204,
            count=lambda reply: 0,
            minimum=f"5 / 3 / {hotlead_items + 2}: as new without a tag ({hotlead_items} items: with kana and "
            "address; the marker read with the identities, the stage's count shard)",
        ),
        measure(
            "HOTLEAD registration, matched (resent)",
            lambda i: hotlead(registrations[i]),
            repeats=repeats,
            expected_status=204,
            count=lambda reply: 0,
            minimum="4 / 4 / 2: as matched (the marker read with the identities)",
        ),
    ]
    return results


def batch_intake(tenant: LoadedTenant, *, items: int) -> Measurement:
    """One batch call of `items` new people (each item is an intake of its own)."""
    context = authorizer_context(tenant.tenant_id, "bench-intake")
    body = {"leads": [inbound_person(next(SERIALS)) for _ in range(items)]}
    return measure(
        f"batch of {items} new leads (one request)",
        lambda i: Request("inbound", "POST", "/api/v1/leads/batch", body=body, authorizer=context),
        repeats=1,
        minimum=f"{items} x new (one intake each)",
    )


def _lead_values(body: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in body.items() if name != "created_at"}


def _hotlead_values(registration: dict[str, Any]) -> dict[str, Any]:
    """The lead values HOTLEAD's contract derives from a registration."""
    from leadgate.intake.contracts import HotleadLead

    return dict(HotleadLead.model_validate(registration).intake(registration, "bench").values)


def _new_lead_items(values: dict[str, Any]) -> int:
    """Items one new lead needs: the lead, one per identity, the inquiry, its tags and search tokens."""
    from leadgate.leads.requests import LeadData

    data = LeadData.model_validate(values)
    identities = sum(1 for key in (data.email_normalized, data.phone_e164) if key)
    return 1 + identities + 1 + len(data.tags) + len(data.search_tokens())


# ------------------------------------------------------------------ rate limiting

ONE_WINDOW = json.dumps([{"limit": 100_000_000, "window": 3600}])
TWO_WINDOWS = json.dumps([{"limit": 1_000_000, "window": 60}, {"limit": 100_000_000, "window": 3600}])
LIMIT_ONE = json.dumps([{"limit": 1, "window": 3600}])


def rate_limit_operations(tenant_id: str, *, repeats: int) -> list[Measurement]:
    """The limiter's cost per request. The health route is public (never counted); sent with a client's
    authorizer context it is counted like any authenticated route, so the difference is the limiter."""

    def health(policies: str | None, client_id: str = "bench-limits") -> Request:
        context = authorizer_context(tenant_id, client_id, rate_policies=policies) if policies else None
        return Request("health", "GET", "/api/v1/health", authorizer=context)

    def fresh_instance(client_id: str) -> Request:
        # A new DynamoDB client is what a new Lambda instance has: its counter remembers no exhausted window.
        reset_clients()
        return health(LIMIT_ONE, client_id)

    invoke(health(ONE_WINDOW))  # warm
    limited = [f"bench-limited-{next(SERIALS)}" for _ in range(repeats)]
    for client_id in limited:
        invoke(health(LIMIT_ONE, client_id))  # the client's only request of the window
    nothing = {"count": lambda reply: 0}
    results = [
        measure("public route, not counted", lambda i: health(None), repeats=repeats, **nothing),
        measure("counted, one window (hourly)", lambda i: health(ONE_WINDOW), repeats=repeats, **nothing),
        measure("counted, two windows (minutely + hourly)", lambda i: health(TWO_WINDOWS), repeats=repeats, **nothing),
        measure(
            "over the limit, in the instance that used the window up (429)",
            lambda i: health(LIMIT_ONE, limited[i]),
            repeats=repeats,
            expected_status=429,
            **nothing,
        ),
        measure(
            "over the limit, first refusal in another instance (429)",
            lambda i: fresh_instance(limited[i]),
            repeats=repeats,
            expected_status=429,
            **nothing,
        ),
    ]
    reset_clients()
    return results
