"""Properties of sync runs, whatever happens between them (hypothesis, stateful, on moto + the fake Intercom).

After any sequence of contact changes in Intercom and runs — runs cut off at their budget, runs crashing
between a page's apply and its checkpoint (recorded as failed, or dying outright and leaving their lease),
triggers overlapping a run in progress — a run to completion leaves leadgate holding each contact exactly
once with its latest values, and every run's counts add up (fetched = created + matched + updated +
unchanged + failed). Nothing is created twice, and a further run applies nothing.
"""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from leadgate.sync import lease as leases
from leadgate.sync.apply import apply_page
from leadgate.sync.engine import run_sync
from tests.fakes.intercom import intercom_fake_fixture  # noqa: F401 - the fixture
from tests.support.clock import FakeClock
from tests.support.sync import by_email, intercom, intercom_config, leads_of, text

T0 = 1_790_000_000
PAGE_SECONDS = 10
NAMES = st.sampled_from(["Aiko", "Ben", "Chie", "Dan Smith", "Emi"])


class Crash(Exception):
    """A run's function failing right after a page was applied, before its checkpoint: recorded as failed."""


class Death(BaseException):
    """The process dying at the same point: no run record update, no lease release."""


class SyncRuns(RuleBasedStateMachine):
    fake = None  # the fake Intercom, set by the test

    def __init__(self) -> None:
        super().__init__()
        self.fake.contacts.clear()
        self.tenant = f"t{uuid.uuid4().hex[:12]}"
        self.config = intercom_config(self.fake.url, tenant=self.tenant, connection="conn")
        self.clock = FakeClock(T0)
        self.provider_time = T0
        self.latest: dict[str, dict] = {}  # contact id -> the values Intercom holds now
        self.versions = 0
        self.created = 0  # leads created, by the run records and by pages whose run crashed
        self.lease_left_behind = False

    # ------------------------------------------------------------------ Intercom changes

    def _phone(self, contact: int) -> str:
        self.versions += 1
        return f"090{1000 + contact:04d}{1000 + self.versions:04d}"

    def _tick(self, same_second: bool) -> int:
        self.provider_time += 0 if same_second else 1
        return self.provider_time

    @rule(name=NAMES, with_phone=st.booleans(), same_second=st.booleans())
    def add_contact(self, name, with_phone, same_second):
        number = len(self.latest)
        values = {"name": name, "email": f"c{number}@example.com"}
        if with_phone:
            values["phone"] = self._phone(number)
        contact_id = self.fake.upsert(updated_at=self._tick(same_second), **values)
        self.latest[contact_id] = values

    @precondition(lambda self: self.latest)
    @rule(data=st.data(), name=NAMES, new_phone=st.booleans(), same_second=st.booleans())
    def change_contact(self, data, name, new_phone, same_second):
        contact_id = data.draw(st.sampled_from(sorted(self.latest)))
        values = dict(self.latest[contact_id], name=name)
        if new_phone:  # a phone is changed or added, never removed: intake never clears a field
            values["phone"] = self._phone(sorted(self.latest).index(contact_id))
        self.fake.upsert(contact_id, updated_at=self._tick(same_second), **values)
        self.latest[contact_id] = values

    # ------------------------------------------------------------------ runs

    def _run(self, apply=apply_page, budget_seconds: float = 10_000):
        record = run_sync(self.config, intercom(self.config), apply, clock=self.clock, budget_seconds=budget_seconds)
        assert record.counts.balanced(), record
        if self.lease_left_behind:
            assert record.status == "skipped" and record.counts.fetched == 0
        else:
            assert record.status != "skipped"
        self.created += record.counts.created
        return record

    def _page_hook(self, stop_after: int | None = None, fail: type[BaseException] | None = None):
        """Each page takes PAGE_SECONDS on the run's clock; with `fail`, the run crashes (or dies) right after
        applying page `stop_after`, before its checkpoint. The leads created by what the run record will not
        count (that page; every page when the run dies) are counted here."""

        def apply(config, records):
            results = apply_page(config, records)
            self.clock.now += PAGE_SECONDS
            apply.pages += 1
            created = sum(result.outcome == "created" for result in results)
            apply.created_before += created
            if fail and apply.pages == stop_after:
                self.created += apply.created_before if fail is Death else created
                raise fail
            return results

        apply.pages = 0
        apply.created_before = 0
        return apply

    @rule(pages=st.none() | st.integers(1, 3))
    def run(self, pages):
        """A run, cut off by its budget after `pages` pages when given."""
        budget = 10_000 if pages is None else PAGE_SECONDS * pages + PAGE_SECONDS / 2
        record = self._run(self._page_hook(), budget)
        if pages is not None and record.status != "skipped":
            assert record.pages <= pages

    @rule(after=st.integers(1, 3))
    def run_crashing_before_a_checkpoint(self, after):
        record = self._run(self._page_hook(after, Crash))
        assert record.status in ("failed", "succeeded", "skipped")
        if record.status == "failed":
            assert record.error == "Internal error (Crash)."

    @precondition(lambda self: not self.lease_left_behind)
    @rule(after=st.integers(1, 3))
    def run_dying_before_a_checkpoint(self, after):
        try:
            self._run(self._page_hook(after, Death))
        except Death:
            self.lease_left_behind = True

    @rule()
    def trigger_while_another_run_holds_the_lease(self):
        other = leases.acquire(self.tenant, "conn", "a-run-in-progress", now=self.clock.now, seconds=60)
        if other is None:  # a dead run's lease is still there
            assert self.lease_left_behind
            return
        skipped = run_sync(self.config, intercom(self.config), clock=self.clock, budget_seconds=30)
        assert skipped.status == "skipped" and skipped.counts.fetched == 0
        leases.release(other)

    @rule()
    def time_passes(self):
        """Long enough for any lease to expire."""
        self.clock.now += 100_000
        self.lease_left_behind = False

    @rule()
    def run_to_completion_and_check(self):
        self.time_passes()
        for _ in range(100):
            if self._run().status == "succeeded":
                break
        else:
            raise AssertionError("the runs never caught up")
        leads = by_email(self.tenant)
        assert len(leads_of(self.tenant)) == len(self.latest) == len(leads)  # each contact exactly once
        assert self.created == len(self.latest)  # and created once
        for values in self.latest.values():
            lead = leads[values["email"]]
            assert text(lead, "display_name") == values["name"]
            assert text(lead, "phone") == values.get("phone")
        again = self._run()
        assert again.counts.created == again.counts.matched == again.counts.updated == 0

    def teardown(self):
        self.run_to_completion_and_check()


def test_sync_runs_keep_leadgate_in_step_with_the_provider(aws, intercom_fake):
    SyncRuns.fake = intercom_fake
    run_state_machine_as_test(
        SyncRuns,
        settings=settings(
            max_examples=15,
            stateful_step_count=10,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
