"""Chat Dealer pull against the fake: date windows with a day of overlap, the field map, its envelope and
error codes, and 60 requests a minute."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from leadgate.clock import Budget
from leadgate.integrations.transport import Transport
from leadgate.sync.chatdealer import JST, ChatDealerConnector
from leadgate.sync.connector import ConnectorConfig, ConnectorError
from leadgate.sync.engine import run_sync
from leadgate.sync.limiter import RequestLimiter
from leadgate.sync.registry import connector_for
from leadgate.sync.runs import load_checkpoint
from tests.fakes.chatdealer import chatdealer_fake_fixture  # noqa: F401 - the fixture
from tests.fakes.loopback import Reply
from tests.support.clock import FakeClock
from tests.support.sync import by_email, inquiries_of, leads_of, payload, text

NOW = datetime(2026, 11, 30, 10, 0, tzinfo=JST)
ORGANISATION = "組織名（組織情報）"  # noqa: RUF001 - the reference's own item key, full-width parentheses
FIELD_MAP = {"name_kana": "フリガナ", "company": ORGANISATION}


def config(url: str, **settings) -> ConnectorConfig:
    return ConnectorConfig(
        tenant_id="acme",
        connection_id="conn-cd",
        provider="chatdealer",
        base_url=url,
        settings={"domain": "acme.chatdealer.example", "field_map": FIELD_MAP, "page_size": 2, **settings},
        secrets={"api_token": "cd-token"},
    )


def connector(cfg: ConnectorConfig, clock: FakeClock) -> ChatDealerConnector:
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock.now += seconds

    limiter = RequestLimiter(60, clock=clock, sleep=sleep)
    http = Transport.for_run("chatdealer", clock=clock, sleep=sleep, before_request=limiter.acquire)
    made = ChatDealerConnector(cfg, http=http, clock=clock)
    made.sleeps = sleeps  # type: ignore[attr-defined]
    return made


def visitor(n: int, name: str = "山田 太郎", **extra) -> dict:
    return {
        "訪問者ID": f"v{n}",
        "名前": name,
        "フリガナ": "やまだ たろう",
        "メールアドレス": f" p{n}@example.com ",  # padded, as the reference's sample is
        "電話番号": f"090-1000-{1000 + n}",
        "最終発言日時": "2026/11/29 10:10",
        "総訪問回数": "51",
        ORGANISATION: "株式会社ラクス",
        **extra,
    }


def test_a_first_run_reads_the_initial_window_by_pages_through_the_field_map(aws, chatdealer_fake):
    for n in range(1, 6):
        chatdealer_fake.put(f"v{n}", date(2026, 11, 20 + n), visitor(n))
    chatdealer_fake.put("v9", date(2026, 10, 1), visitor(9))  # before the initial window
    clock = FakeClock(NOW.timestamp())
    cfg = config(chatdealer_fake.url)

    record = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)

    assert record.status == "succeeded" and record.pages == 3
    assert (record.counts.fetched, record.counts.created) == (5, 5)
    window = {"dateFrom": "2026/10/31", "dateTo": "2026/11/30"}
    assert chatdealer_fake.queries == [
        {"limit": 2, "offset": 1, "search": window},
        {"limit": 2, "offset": 3, "search": window},
        {"limit": 2, "offset": 5, "search": window},
    ]
    sent = chatdealer_fake.server.received[0].headers
    assert sent["x-cd-apitoken"] == "cd-token" and sent["content-type"] == "application/json"
    lead = by_email("acme")["p1@example.com"]
    assert (text(lead, "last_name"), text(lead, "first_name")) == ("山田", "太郎")
    assert (text(lead, "last_name_kana"), text(lead, "first_name_kana")) == ("ヤマダ", "タロウ")
    assert text(lead, "phone") == "090-1000-1001" and text(lead, "company") == "株式会社ラクス"
    (inquiry,) = inquiries_of("acme", text(lead, "id"))
    assert payload(inquiry) == visitor(1) and text(inquiry, "source") == "chatdealer"
    assert text(inquiry, "occurred_at") == "2026-11-29T01:10:00+00:00"
    assert load_checkpoint("acme", "conn-cd", "pull") == {"next_from": "2026/11/30"}


def test_the_next_window_overlaps_the_last_day_and_dedup_absorbs_it(aws, chatdealer_fake):
    chatdealer_fake.put("v1", date(2026, 11, 30), visitor(1))
    chatdealer_fake.put("v2", date(2026, 11, 30), visitor(2))
    clock = FakeClock(NOW.timestamp())
    cfg = config(chatdealer_fake.url, page_size=10)
    run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)

    clock.now += 86_400
    chatdealer_fake.put("v1", date(2026, 12, 1), visitor(1, name="山田 花子", 最終発言日時="2026/12/01 09:00"))
    chatdealer_fake.put("v3", date(2026, 12, 1), visitor(3))
    record = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)

    assert chatdealer_fake.queries[-1]["search"] == {"dateFrom": "2026/11/30", "dateTo": "2026/12/01"}
    assert (record.counts.updated, record.counts.unchanged, record.counts.created) == (1, 1, 1)
    assert text(by_email("acme")["p1@example.com"], "first_name") == "花子"
    assert len(leads_of("acme")) == 3


def test_an_empty_window_and_a_full_last_page_end_on_no_data(aws, chatdealer_fake):
    clock = FakeClock(NOW.timestamp())
    cfg = config(chatdealer_fake.url)
    empty = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)
    assert empty.status == "succeeded" and empty.counts.fetched == 0

    for n in range(1, 5):
        chatdealer_fake.put(f"v{n}", date(2026, 11, 30), visitor(n))
    full = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)

    assert full.status == "succeeded" and (full.pages, full.counts.created) == (3, 4)
    assert chatdealer_fake.queries[-1]["offset"] == 5  # answered 400, errors.code "200": no more data


def test_a_budget_cut_mid_window_resumes_at_the_offset(aws, chatdealer_fake):
    for n in range(1, 6):
        chatdealer_fake.put(f"v{n}", date(2026, 11, 30), visitor(n))
    clock = FakeClock(NOW.timestamp())
    cfg = config(chatdealer_fake.url)
    cut = connector(cfg, clock)
    cut.http.before_request = lambda budget: setattr(clock, "now", clock.now + 10)

    first = run_sync(cfg, cut, clock=clock, budget_seconds=15)
    assert first.status == "partial" and first.more_pending and first.counts.created == 2
    assert load_checkpoint("acme", "conn-cd", "pull") == {"window": ["2026/10/31", "2026/11/30"], "offset": 3}

    second = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)
    assert second.status == "succeeded" and second.counts.created == 3
    assert chatdealer_fake.queries[-2]["search"] == {"dateFrom": "2026/10/31", "dateTo": "2026/11/30"}


def test_error_codes(aws, chatdealer_fake):
    chatdealer_fake.put("v1", date(2026, 11, 30), visitor(1))
    clock = FakeClock(NOW.timestamp())
    cfg = config(chatdealer_fake.url)

    def refusal(status: int, code: str) -> Reply:
        return Reply(status, {"status": "error", "code": str(status), "errors": {"code": code, "msg": "x"}})

    chatdealer_fake.server.fail(refusal(429, "6"), times=2)
    chatdealer_fake.server.fail(refusal(503, "999"), times=1)
    retried = connector(cfg, clock)
    assert run_sync(cfg, retried, clock=clock, budget_seconds=600).counts.created == 1
    assert len(retried.sleeps) == 3

    chatdealer_fake.server.fail(refusal(403, "7"), times=1)
    forbidden = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)
    assert forbidden.status == "failed" and forbidden.error == "Chat Dealer answered 403, errors.code 7: x"

    chatdealer_fake.server.fail(Reply(200, ["not", "an", "object"]), times=1)
    odd = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)
    assert odd.status == "failed" and odd.error == "Chat Dealer answered 200 with JSON that is not an object."
    chatdealer_fake.server.fail(Reply(200), times=1)  # an empty body
    empty = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)
    assert empty.status == "failed" and empty.error == "Chat Dealer answered 200 without JSON."

    chatdealer_fake.token = "regenerated"
    refused = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)
    assert refused.status == "failed" and refused.error.startswith("Unauthorized: Chat Dealer refused the API token")


def test_items_without_a_visitor_id_are_known_by_their_identity_and_without_one_they_fail(aws, chatdealer_fake):
    anonymous = {k: v for k, v in visitor(1).items() if k != "訪問者ID"}
    chatdealer_fake.put("a", date(2026, 11, 30), anonymous)
    chatdealer_fake.put("b", date(2026, 11, 30), {"名前": "名無し", "総訪問回数": "1"})
    clock = FakeClock(NOW.timestamp())
    cfg = config(chatdealer_fake.url)

    record = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)

    assert record.status == "partial" and not record.more_pending
    assert (record.counts.created, record.counts.failed) == (1, 1) and record.counts.balanced()
    again = run_sync(cfg, connector(cfg, clock), clock=clock, budget_seconds=60)
    assert again.counts.unchanged == 1  # "email:p1@example.com" is its key


def test_requests_stay_within_60_a_minute(chatdealer_fake):
    clock = FakeClock(NOW.timestamp())
    chatdealer_fake.clock = clock
    for n in range(65):
        chatdealer_fake.put(f"v{n:03d}", date(2026, 11, 30), visitor(n))
    cd = connector(config(chatdealer_fake.url, page_size=1), clock)

    pages = list(cd.fetch_changes(None, Budget(clock, 600)))

    assert sum(len(page.records) for page in pages) == 65
    assert len(chatdealer_fake.queries) == 66
    assert cd.http.retries == 0  # the fake never answered 429: the limiter waited instead
    assert sum(cd.sleeps) == pytest.approx(60)  # once, for the 61st request


def test_a_field_map_naming_unknown_fields_is_refused(chatdealer_fake):
    with pytest.raises(ConnectorError, match=r"field_map is invalid: unknown lead field\(s\) favourite_colour"):
        connector_for(config(chatdealer_fake.url, field_map={"favourite_colour": "色"}))
