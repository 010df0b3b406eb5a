"""The sync engine on moto against the fake Intercom: runs, checkpoints, the budget, crashes, the lease."""

from __future__ import annotations

import threading

import pytest

from leadgate import errors
from leadgate.settings import get_settings
from leadgate.sync import lease as leases
from leadgate.sync.apply import apply_page
from leadgate.sync.engine import run_sync
from leadgate.sync.runs import list_runs, load_checkpoint
from leadgate_dev.bench.metering import metered_dynamodb
from tests.fakes.intercom import intercom_fake_fixture  # noqa: F401 - the fixture
from tests.support.clock import FakeClock
from tests.support.sync import (
    PageHook,
    by_email,
    inquiries_of,
    intercom,
    intercom_config,
    leads_of,
    payload,
    text,
)

T0 = 1_790_000_000


def seed(fake, count: int, *, at: int = T0) -> list[str]:
    return [
        fake.upsert(updated_at=at + n, name=f"Person {n}", email=f"p{n}@example.com", phone=f"0901000{1000 + n}")
        for n in range(count)
    ]


def test_a_first_run_takes_every_contact_in_through_intake(aws, intercom_fake):
    ids = seed(intercom_fake, 5)
    config = intercom_config(intercom_fake.url)
    progress = []

    record = run_sync(config, intercom(config), budget_seconds=60, progress=progress.append)

    assert record.status == "succeeded" and record.error is None
    assert vars(record.counts) == dict(fetched=5, created=5, matched=0, updated=0, unchanged=0, pushed=0, failed=0)
    assert record.pages == 3 and [p.counts.fetched for p in progress] == [2, 4, 5]
    leads = by_email("acme")
    assert set(leads) == {f"p{n}@example.com" for n in range(5)}
    lead = leads["p0@example.com"]
    assert text(lead, "display_name") == "Person 0" and text(lead, "phone") == "09010001000"
    (inquiry,) = inquiries_of("acme", text(lead, "id"))
    assert text(inquiry, "channel") == "sync" and text(inquiry, "source") == "intercom"
    assert payload(inquiry) == intercom_fake.contacts[ids[0]]
    # What Intercom received: the pinned version, the token, the search, and its cursor on later pages.
    first, second, third = intercom_fake.searches
    assert first.headers["intercom-version"] == "2.11"
    assert first.headers["authorization"] == "Bearer intercom-token"
    assert first.body == {
        "query": {"field": "updated_at", "operator": ">", "value": 0},
        "sort": {"field": "updated_at", "order": "ascending"},
        "pagination": {"per_page": 2},
    }
    assert "starting_after" in second.body["pagination"] and "starting_after" in third.body["pagination"]
    assert load_checkpoint("acme", config.connection_id, "pull") == {"since": T0 + 4, "max_seen": T0 + 4}
    (listed,), _ = list_runs("acme", config.connection_id)
    assert listed == record


def test_an_unchanged_contact_costs_no_write_and_a_changed_one_updates_its_lead(aws, intercom_fake):
    ids = seed(intercom_fake, 3)
    config = intercom_config(intercom_fake.url, page_size=10)
    run_sync(config, intercom(config), budget_seconds=60)
    # Intercom bumps updated_at on things we do not map (last seen): still no write.
    intercom_fake.upsert(ids[0], updated_at=T0 + 10, name="Person 0", email="p0@example.com", phone="09010001000")
    intercom_fake.contacts[ids[0]]["last_seen_at"] = T0 + 10

    with metered_dynamodb() as meter:
        quiet = run_sync(config, intercom(config), budget_seconds=60)

    # Intercom searches by day: the whole day of the last change seen is fetched again, and costs no write.
    assert quiet.counts.fetched == 3 and quiet.counts.unchanged == 3 and quiet.counts.balanced()
    settings = get_settings()
    assert meter.table(settings.leads_table).items_written == 0
    sync_writes = meter.table(settings.sync_table)
    # Only the run's own bookkeeping: lease in and out, run record twice, one checkpoint (+ lease renewal).
    assert sync_writes.items_written == 6 and sync_writes.calls["BatchGetItem"] == 1

    intercom_fake.upsert(ids[1], updated_at=T0 + 20, name="Renamed", email="p1@example.com", phone="09010001001")
    changed = run_sync(config, intercom(config), budget_seconds=60)
    assert (changed.counts.updated, changed.counts.unchanged, changed.counts.fetched) == (1, 2, 3)
    assert text(by_email("acme")["p1@example.com"], "display_name") == "Renamed"


def test_a_contact_changed_later_on_the_day_of_the_last_walk_is_fetched(aws, intercom_fake):
    """Intercom matches `updated_at > T` by day: asking from the last change seen would skip the rest of its day."""
    ids = seed(intercom_fake, 3)
    config = intercom_config(intercom_fake.url, page_size=10)
    first = run_sync(config, intercom(config), budget_seconds=60)
    assert first.counts.created == 3
    later_that_day = T0 + 3600  # T0 is 14:13:20 UTC
    intercom_fake.upsert(ids[2], updated_at=later_that_day, name="Changed", email="p2@example.com")

    second = run_sync(config, intercom(config), budget_seconds=60)

    start_of_day = T0 - T0 % 86_400
    assert intercom_fake.searches[-1].body["query"] == {
        "field": "updated_at",
        "operator": ">",
        "value": start_of_day - 1,
    }
    assert (second.counts.fetched, second.counts.updated, second.counts.unchanged) == (3, 1, 2)
    assert text(by_email("acme")["p2@example.com"], "display_name") == "Changed"
    assert load_checkpoint("acme", config.connection_id, "pull")["since"] == later_that_day
    third = run_sync(config, intercom(config), budget_seconds=60)
    assert (third.counts.fetched, third.counts.unchanged) == (3, 3)  # the day again: content hashes, no write


def test_a_run_stops_at_its_budget_on_a_page_boundary_and_the_next_carries_on(aws, intercom_fake):
    seed(intercom_fake, 7)
    config = intercom_config(intercom_fake.url)
    clock = FakeClock(T0)

    def ten_seconds_a_page(_page: int) -> None:
        clock.now += 10

    first = run_sync(config, intercom(config), PageHook(ten_seconds_a_page), clock=clock, budget_seconds=25)

    assert first.status == "partial" and first.more_pending and first.pages == 2
    assert first.counts.created == 4 and first.counts.balanced()
    cursor = load_checkpoint("acme", config.connection_id, "pull")["cursor"]

    second = run_sync(config, intercom(config), PageHook(ten_seconds_a_page), clock=clock, budget_seconds=60)

    assert second.status == "succeeded" and not second.more_pending
    assert intercom_fake.searches[2].body["pagination"]["starting_after"] == cursor
    assert (second.counts.created, second.counts.fetched) == (3, 3)
    assert len(leads_of("acme")) == 7


def test_an_expired_cursor_restarts_the_walk_and_applies_nothing_twice(aws, intercom_fake):
    seed(intercom_fake, 5)
    config = intercom_config(intercom_fake.url)
    clock = FakeClock(T0)
    run_sync(
        config,
        intercom(config),
        PageHook(lambda _: setattr(clock, "now", clock.now + 10)),
        clock=clock,
        budget_seconds=15,
    )
    intercom_fake.expire_cursors()

    record = run_sync(config, intercom(config), clock=clock, budget_seconds=60)

    assert record.status == "succeeded"
    assert (record.counts.unchanged, record.counts.created) == (2, 3)
    assert len(leads_of("acme")) == 5


def test_a_crash_between_a_page_and_its_checkpoint_applies_nothing_twice(aws, intercom_fake):
    seed(intercom_fake, 6)
    config = intercom_config(intercom_fake.url)

    def crash_after_second_page(page: int) -> None:
        if page == 2:
            raise RuntimeError("the function died here")

    crashed = run_sync(config, intercom(config), PageHook(crash_after_second_page), budget_seconds=60)

    assert crashed.status == "failed" and crashed.error == "Internal error (RuntimeError)."
    assert crashed.counts.created == 2 and crashed.pages == 1  # the second page was applied, not checkpointed
    assert len(leads_of("acme")) == 4

    again = run_sync(config, intercom(config), budget_seconds=60)

    assert again.status == "succeeded"
    assert (again.counts.fetched, again.counts.unchanged, again.counts.created) == (4, 2, 2)
    leads = leads_of("acme")
    assert len(leads) == 6
    assert all(len(inquiries_of("acme", text(lead, "id"))) == 1 for lead in leads)


class HardCrash(BaseException):
    """The process dies: nothing after it runs (no run record update, no lease release)."""


def test_a_run_that_died_holds_the_lease_until_it_expires_then_the_next_run_takes_over(aws, intercom_fake):
    seed(intercom_fake, 4)
    config = intercom_config(intercom_fake.url)
    clock = FakeClock(T0)

    def die(_page: int) -> None:
        raise HardCrash

    with pytest.raises(HardCrash):
        run_sync(config, intercom(config), PageHook(die), clock=clock, budget_seconds=30, lease_seconds=60)
    (dead,), _ = list_runs("acme", config.connection_id)
    assert dead.status == "running"

    clock.now += 30
    skipped = run_sync(config, intercom(config), clock=clock, budget_seconds=30)
    clock.now += 31
    taken_over = run_sync(config, intercom(config), clock=clock, budget_seconds=30)

    assert skipped.status == "skipped" and skipped.counts.fetched == 0
    assert taken_over.status == "succeeded"
    assert (taken_over.counts.unchanged, taken_over.counts.created) == (2, 2)
    assert len(leads_of("acme")) == 4


def test_overlapping_runs_of_one_connection_the_second_is_skipped(aws, intercom_fake):
    seed(intercom_fake, 2)
    config = intercom_config(intercom_fake.url)
    inside, finish = threading.Event(), threading.Event()

    def hold(_page: int) -> None:
        inside.set()
        assert finish.wait(10)

    results = {}
    first = threading.Thread(
        target=lambda: results.update(first=run_sync(config, intercom(config), PageHook(hold), budget_seconds=60))
    )
    first.start()
    assert inside.wait(10)
    second = run_sync(config, intercom(config), budget_seconds=60)
    finish.set()
    first.join(10)

    assert second.status == "skipped" and second.error and vars(second.counts)["fetched"] == 0
    assert results["first"].status == "succeeded" and results["first"].counts.created == 2
    statuses = sorted(run.status for run in list_runs("acme", config.connection_id)[0])
    assert statuses == ["skipped", "succeeded"]
    other = intercom_config(intercom_fake.url, connection="conn-other")
    assert run_sync(other, intercom(other), budget_seconds=60).status == "succeeded"  # leases are per connection


def test_a_run_that_lost_its_lease_cannot_move_the_checkpoint(aws, intercom_fake):
    seed(intercom_fake, 4)
    config = intercom_config(intercom_fake.url)
    clock = FakeClock(T0)

    def lease_expires_and_another_run_takes_it(page: int) -> None:
        if page == 1:
            clock.now += 100
            assert leases.acquire("acme", config.connection_id, "successor", now=clock.now, seconds=60)

    record = run_sync(
        config,
        intercom(config),
        PageHook(lease_expires_and_another_run_takes_it),
        clock=clock,
        budget_seconds=30,
        lease_seconds=50,
    )

    assert record.status == "failed" and "no longer holds the lease" in record.error
    assert load_checkpoint("acme", config.connection_id, "pull") is None


def test_runs_are_listed_newest_first_with_a_cursor_and_per_tenant(aws, intercom_fake):
    config = intercom_config(intercom_fake.url)
    clock = FakeClock(T0)
    made = []
    for _ in range(3):
        made.append(run_sync(config, intercom(config), apply_page, clock=clock, budget_seconds=10))
        clock.now += 60

    page, cursor = list_runs("acme", config.connection_id, limit=2)
    rest, end = list_runs("acme", config.connection_id, limit=2, cursor=cursor)

    assert [run.run_id for run in page + rest] == [run.run_id for run in reversed(made)]
    assert end is None
    assert list_runs("beta", config.connection_id) == ([], None)
    with pytest.raises(errors.InvalidPosition) as refused:
        list_runs("acme", config.connection_id, cursor="not-a-cursor")
    assert refused.value.code == "INVALID_CURSOR"
