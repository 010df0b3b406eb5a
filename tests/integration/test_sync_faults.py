"""Throttling and faults through a whole run: Retry-After, rate-limit headers, 5xx, timeouts, 401."""

from __future__ import annotations

from leadgate.sync.engine import run_sync
from leadgate.sync.runs import load_checkpoint
from tests.fakes.intercom import intercom_fake_fixture  # noqa: F401 - the fixture
from tests.fakes.loopback import Reply
from tests.support.clock import FakeClock
from tests.support.sync import intercom, intercom_config, leads_of

T0 = 1_790_000_000


def seed(fake, count: int) -> None:
    for n in range(count):
        fake.upsert(updated_at=T0 + n, name=f"Person {n}", email=f"p{n}@example.com")


def test_429_waits_what_retry_after_says_then_the_run_goes_on(aws, intercom_fake):
    seed(intercom_fake, 3)
    intercom_fake.server.fail(Reply(429, {"type": "error.list"}, {"Retry-After": "7"}), times=2)
    config = intercom_config(intercom_fake.url)
    connector = intercom(config)

    record = run_sync(config, connector, budget_seconds=60)

    assert record.status == "succeeded" and record.counts.created == 3
    assert connector.sleeps == [7.0, 7.0]
    assert len(intercom_fake.searches) == 4  # two refused, then the two pages


def test_5xx_and_timeouts_are_retried_with_jittered_backoff(aws, intercom_fake):
    seed(intercom_fake, 2)
    intercom_fake.server.fail(Reply(503, {"type": "error.list"}), times=1)
    intercom_fake.server.fail(Reply(500, {"type": "error.list"}), times=1)
    intercom_fake.server.fail(None, delay=1.5)  # slower than the client's timeout
    config = intercom_config(intercom_fake.url)
    connector = intercom(config, timeout=(0.5, 0.5), backoff_max_seconds=4)

    record = run_sync(config, connector, budget_seconds=60)

    assert record.status == "succeeded" and record.counts.created == 2
    assert len(connector.sleeps) == 3
    assert all(0 <= wait <= 4 for wait in connector.sleeps)
    assert connector.http.retries == 3


def test_a_provider_down_past_the_retries_fails_the_run_and_keeps_the_checkpoint(aws, intercom_fake):
    seed(intercom_fake, 4)
    config = intercom_config(intercom_fake.url)
    first = run_sync(config, intercom(config), budget_seconds=60)
    assert first.status == "succeeded"
    checkpoint = load_checkpoint("acme", config.connection_id, "pull")
    intercom_fake.server.fail(Reply(502, {"type": "error.list"}), times=100)
    before = len(intercom_fake.server.received)

    connector = intercom(config, max_attempts=4, retry_allowance=10)
    record = run_sync(config, connector, budget_seconds=60)

    assert record.status == "failed" and "gave up after retries" in record.error
    assert len(intercom_fake.server.received) - before == 4  # bounded per request
    assert load_checkpoint("acme", config.connection_id, "pull") == checkpoint


def test_the_retry_allowance_is_shared_by_every_request_of_a_run(aws, intercom_fake):
    seed(intercom_fake, 6)
    config = intercom_config(intercom_fake.url)
    connector = intercom(config, max_attempts=5, retry_allowance=2)
    intercom_fake.server.fail(Reply(500, {}), times=1)  # page 1: one retry
    first_page = connector.fetch_changes(None, _budget())
    next(first_page)
    intercom_fake.server.fail(Reply(500, {}), times=3)  # page 2: one retry left in the run's allowance

    record = run_sync(config, connector, budget_seconds=60)

    assert record.status == "failed" and "gave up" in record.error
    assert connector.http.retries == 2


def test_a_retry_after_longer_than_the_budget_stops_the_run_for_the_next_one(aws, intercom_fake):
    seed(intercom_fake, 4)
    config = intercom_config(intercom_fake.url)
    intercom_fake.server.fail(Reply(429, {}, {"Retry-After": "3600"}), times=1)
    connector = intercom(config)

    record = run_sync(config, connector, budget_seconds=60)

    assert record.status == "partial" and record.more_pending and "budget" in record.error
    assert connector.sleeps == [] and record.counts.fetched == 0
    assert run_sync(config, intercom(config), budget_seconds=60).counts.created == 4


def test_a_used_up_rate_limit_waits_for_its_reset_before_the_next_request(aws, intercom_fake):
    seed(intercom_fake, 4)
    clock = FakeClock(T0)
    intercom_fake.rate_limit_remaining = 0
    intercom_fake.rate_limit_reset = T0 + 42
    config = intercom_config(intercom_fake.url)
    connector = intercom(config, clock=clock)

    record = run_sync(config, connector, clock=clock, budget_seconds=60)

    assert record.status == "succeeded" and record.counts.created == 4
    assert connector.sleeps[0] == 42  # before the second page; the clock is not moved by the sleep here


def test_401_fails_the_run_as_unauthorized(aws, intercom_fake):
    seed(intercom_fake, 2)
    intercom_fake.token = "rotated-elsewhere"
    config = intercom_config(intercom_fake.url)

    record = run_sync(config, intercom(config), budget_seconds=60)

    assert record.status == "failed"
    assert record.error == "Unauthorized: Intercom refused the access token (401)."
    assert leads_of("acme") == [] and record.counts.fetched == 0
    assert "intercom-token" not in str(record.to_json())


def _budget():
    from leadgate.clock import Budget

    return Budget(lambda: 0.0, 60)
