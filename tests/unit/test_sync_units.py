"""The sync pieces that need no AWS: the limiter, the providers' record mapping, content hashes."""

from __future__ import annotations

import pytest

from leadgate.clock import Budget
from leadgate.integrations.errors import OutOfBudget
from leadgate.sync import chatdealer, intercom, keys
from leadgate.sync.apply import content_hash
from leadgate.sync.connector import Connector, ConnectorConfig, ConnectorError, PushingConnector, Record
from leadgate.sync.limiter import RequestLimiter
from leadgate.sync.runs import Counts
from tests.support.clock import FakeClock


def test_the_limiter_admits_60_in_a_sliding_minute_then_waits_for_the_oldest():
    clock = FakeClock(1000.0)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.now += seconds

    limiter = RequestLimiter(60, clock=clock, sleep=sleep)
    budget = Budget(clock, 600)
    for _ in range(60):
        limiter.acquire(budget)
        clock.now += 0.5
    assert waits == []
    limiter.acquire(budget)  # the 61st: the first was sent 30 s ago
    assert waits == [pytest.approx(30)]
    limiter.acquire(budget)  # now at +60 s: the second (sent at +0.5 s) leaves the window 0.5 s later
    assert waits == [pytest.approx(30), pytest.approx(0.5)]


def test_the_limiter_refuses_a_wait_beyond_the_budget():
    clock = FakeClock(0.0)
    limiter = RequestLimiter(1, clock=clock, sleep=lambda _: pytest.fail("must not sleep"))
    limiter.acquire(Budget(clock, 600))
    with pytest.raises(OutOfBudget):
        limiter.acquire(Budget(clock, 30))


def test_an_intercom_contact_as_lead_fields():
    record = intercom.to_record(
        {
            "type": "contact",
            "id": "abc",
            "role": "lead",
            "name": "Jane Doe",
            "email": "j@example.com",
            "phone": None,
            "updated_at": 1_790_000_000,
            "last_seen_at": 1_790_000_000,
        }
    )
    assert record.external_id == "abc"
    assert record.fields == {
        "display_name": "Jane Doe",
        "email": "j@example.com",
        "custom_fields": {"intercom_role": "lead"},
    }
    assert record.updated_at == "2026-09-21T14:13:20+00:00"
    assert record.payload["last_seen_at"] == 1_790_000_000


def test_a_chat_dealer_item_through_the_field_map():
    mapping = chatdealer.item_keys({"email": "mail", "phone": "tell", "name": "name", "name_kana": "furigana"})
    record = chatdealer.to_record(
        {
            "訪問者ID": "123",
            "name": "ラクス 太郎",
            "furigana": "らくす たろう",
            "tell": "090-0000-0000 ",
            "mail": " xxx@example.com",
            "最終発言日時": "2020/01/08 10:10",
            "総訪問回数": "51",
        },
        mapping,
    )
    assert record.external_id == "123"
    assert record.fields == {
        "display_name": "ラクス 太郎",
        "last_name": "ラクス",
        "first_name": "太郎",
        "last_name_kana": "らくす",
        "first_name_kana": "たろう",
        "email": "xxx@example.com",
        "phone": "090-0000-0000",
    }
    assert record.updated_at == "2020-01-08T01:10:00+00:00"
    assert chatdealer.to_record({"mail": "a@example.com", "最終発言日時": "2020/1/8"}, mapping).updated_at is None
    with_seconds = chatdealer.to_record({"mail": "a@example.com", "最終発言日時": "2020/01/08 10:10:30"}, mapping)
    assert with_seconds.updated_at == "2020-01-08T01:10:30+00:00"


def test_a_chat_dealer_name_part_mapped_on_its_own_wins_over_the_split_full_name():
    mapping = chatdealer.item_keys({"name": "名前", "first_name": "名", "last_name_kana": "セイ"})
    item = {"名前": "山田 太郎", "名": "太一", "セイ": "ヤマダ", "メールアドレス": "a@example.com"}

    fields = chatdealer.to_record(item, mapping).fields

    assert (fields["last_name"], fields["first_name"], fields["last_name_kana"]) == ("山田", "太一", "ヤマダ")
    assert fields["display_name"] == "山田 太郎" and "first_name_kana" not in fields


def test_a_chat_dealer_item_key_can_fill_a_custom_field():
    mapping = chatdealer.item_keys({"custom_fields.budget": "予算", "status": "状態"})

    item = {"予算": " 100万円 ", "状態": "商談中", "メールアドレス": "a@example.com"}

    fields = chatdealer.to_record(item, mapping).fields

    assert fields["custom_fields"] == {"budget": "100万円"} and fields["status"] == "商談中"


def test_pull_only_connectors_are_not_pushing_connectors():
    connector = intercom.IntercomConnector(ConnectorConfig("acme", "c", "intercom", "", {}, {"access_token": "t"}))
    assert isinstance(connector, Connector) and not isinstance(connector, PushingConnector)


def test_a_chat_dealer_connection_needs_its_domain_and_token():
    with pytest.raises(ConnectorError):
        chatdealer.ChatDealerConnector(ConnectorConfig("acme", "c", "chatdealer", "", {"domain": "x"}, {}))
    with pytest.raises(ConnectorError):
        intercom.IntercomConnector(ConnectorConfig("acme", "c", "intercom", "", {}, {}))


def test_the_content_hash_covers_the_lead_fields_only():
    one = Record("x", {"email": "a@example.com", "display_name": "A"}, {"last_seen_at": 1})
    same = Record("x", {"display_name": "A", "email": "a@example.com"}, {"last_seen_at": 2}, updated_at="2026-01-01")
    other = Record("x", {"email": "a@example.com", "display_name": "B"}, {"last_seen_at": 1})
    assert content_hash(one) == content_hash(same) != content_hash(other)


def test_counts_balance_and_secrets_stay_out_of_reprs():
    counts = Counts(fetched=5, created=1, matched=1, updated=1, unchanged=1, failed=1, pushed=3)
    assert counts.balanced()
    counts.add("created")
    assert not counts.balanced()
    config = ConnectorConfig("acme", "c", "intercom", "", {}, {"access_token": "s3cret"})
    assert "s3cret" not in repr(config)
    with pytest.raises(ValueError):
        keys.checkpoint_sk("sideways")
