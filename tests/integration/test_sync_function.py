"""The sync function (functions/sync/app.py) with Scheduler events on moto, and the local stack's scheduler
firing its schedules: continuations at the budget, rates, one-time schedules, disabled ones, a restart."""

from __future__ import annotations

import time

import boto3
import pytest

from leadgate.connections import secrets as connection_secrets
from leadgate.connections.models import Connection
from leadgate.connections.registry import ConnectionRegistry, clear_cache
from leadgate.connections.secrets import ConnectionSecrets
from leadgate.sync.runs import list_runs
from leadgate.sync.schedules import Schedules, ScheduleTarget, at_time, interval_seconds, rate_expression
from leadgate_dev.harness import handle
from leadgate_dev.harness.functions import load_function
from leadgate_dev.local.instances import FunctionPool
from leadgate_dev.local.scheduler import LocalScheduler
from tests.fakes.hubspot import CONTACTS
from tests.support.clock import FakeClock

GROUP = "local-sync"
TARGET = ScheduleTarget(
    "arn:aws:lambda:us-east-1:123456789012:function:local-sync",
    "arn:aws:iam::123456789012:role/local-sync-scheduler",
    "arn:aws:sqs:us-east-1:123456789012:local-dlq",
)


@pytest.fixture
def schedules(aws, monkeypatch):
    monkeypatch.setenv("SYNC_SCHEDULE_GROUP", GROUP)
    from leadgate import aws as leadgate_aws

    leadgate_aws.reset_clients()
    client = boto3.client("scheduler")
    client.create_schedule_group(Name=GROUP)
    return Schedules(client, GROUP)


@pytest.fixture
def connection(aws, fake_hubspot):
    clear_cache()
    fake_hubspot.add_private_token("pat-1")
    stored = Connection(
        tenant_id="acme",
        provider="hubspot",
        settings={"portal_id": "1", "app_id": "2"},
        base_url=fake_hubspot.url,
        sync_every="15m",
    )
    secrets = ConnectionSecrets(access_token="pat-1")
    arn = connection_secrets.default_store().create(stored.connection_id, secrets, tenant_id="acme")
    return ConnectionRegistry.from_settings().put(stored.model_copy(update={"secret_arn": arn}))


def wait_for_runs(connection: Connection, count: int, seconds: float = 20) -> list:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs = [run for run in list_runs("acme", connection.connection_id)[0] if run.status != "running"]
        if len(runs) >= count:
            return runs
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} runs after {seconds} s")


def test_intervals_become_rates_and_back():
    assert [rate_expression(every) for every in ("1m", "15m", "1h", "2d")] == [
        "rate(1 minute)",
        "rate(15 minutes)",
        "rate(1 hour)",
        "rate(2 days)",
    ]
    assert interval_seconds("rate(15 minutes)") == 900 and interval_seconds("rate(1 day)") == 86400
    assert interval_seconds("cron(0 * * * ? *)") is None
    assert at_time("at(2026-11-30T10:00:00)") == 1796032800.0
    with pytest.raises(ValueError):
        rate_expression("15s")


def test_a_run_cut_off_at_its_budget_schedules_its_continuation(connection, schedules, fake_hubspot, monkeypatch):
    for n in range(150):
        fake_hubspot.add_contact(email=f"c{n}@example.com")
    fake_hubspot.slow(f"{CONTACTS}/search", 0.6)
    schedules.put(connection.connection_id, "15m", TARGET)
    sync = load_function("sync")
    # The run has 1.5 s, one slow page. The function keeps the rest of its 10 minutes rather than its 20 s:
    # applying a page on moto takes seconds, and a loaded CI machine once took more than 20 s.
    monkeypatch.setattr(sync, "MARGIN_SECONDS", 598.5)

    record = handle(sync, {"connection_id": connection.connection_id}, budget_ms=600_000)

    assert record["status"] == "partial" and record["more_pending"] and record["counts"]["fetched"] == 100
    listed = boto3.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"]
    (continuation,) = [item for item in listed if item["Name"] != connection.connection_id]
    found = schedules.client.get_schedule(Name=continuation["Name"], GroupName=GROUP)
    assert found["ScheduleExpression"].startswith("at(") and found["ActionAfterCompletion"] == "DELETE"
    assert found["Target"]["Input"] == f'{{"connection_id": "{connection.connection_id}"}}'


def test_a_bad_event_is_refused(aws, schedules):
    with pytest.raises(ValueError):
        handle("sync", {"connection_id": "../x"}, budget_ms=30_000)


def test_the_local_scheduler_fires_rates_once_per_period_and_at_schedules_once(connection, schedules, fake_hubspot):
    fake_hubspot.add_contact(email="a@example.com")
    clock = FakeClock(time.time())
    scheduler = LocalScheduler(
        client=schedules.client, functions=FunctionPool(1), group=GROUP, target=TARGET, tick_seconds=0.05, clock=clock
    )
    scheduler.restore([connection])  # as after a restart: the registry's syncing connections get their schedule

    assert scheduler.tick() == [connection.connection_id]  # a new schedule fires at once
    assert wait_for_runs(connection, 1)[0].counts.created == 1
    wait_idle(scheduler)  # the run is recorded a moment before its invocation returns
    clock.now += 60
    assert scheduler.tick() == []  # rate(15 minutes): not before its period
    clock.now += 900
    assert scheduler.tick() == [connection.connection_id]
    wait_for_runs(connection, 2)
    wait_idle(scheduler)

    schedules.continue_now(connection.connection_id, "run-x", clock.now - 1)
    assert scheduler.tick() == [f"{connection.connection_id}-run-x"]
    wait_for_runs(connection, 3)
    names = [item["Name"] for item in schedules.client.list_schedules(GroupName=GROUP)["Schedules"]]
    assert names == [connection.connection_id]  # the one-time schedule is gone once fired

    schedules.disable(connection.connection_id)
    clock.now += 900
    assert scheduler.tick() == []


def test_the_scheduler_thread_fires_by_itself_and_stops_within_seconds(connection, schedules, fake_hubspot):
    fake_hubspot.add_contact(email="a@example.com")
    schedules.put(connection.connection_id, "1m", TARGET)
    scheduler = LocalScheduler(
        client=schedules.client, functions=FunctionPool(1), group=GROUP, target=TARGET, tick_seconds=0.05
    )
    scheduler.start()
    try:
        assert wait_for_runs(connection, 1)[0].status == "succeeded"
    finally:
        started = time.monotonic()
        scheduler.stop()
    assert time.monotonic() - started < 3


def wait_idle(scheduler: LocalScheduler, timeout_seconds: float = 10) -> None:
    deadline = time.monotonic() + timeout_seconds
    while scheduler.running:
        assert time.monotonic() < deadline, f"still running: {scheduler.running}"
        time.sleep(0.02)
