"""One sync run of one connection: lease, checkpoint, pages, budget, run record.

`run_sync(config, connector, ...)` is what a scheduled Lambda (`{"connection_id": ...}`, once the registry
has built the config) and the CLI call:

1. Take the connection's lease; if another run holds it, record a `skipped` run and return at once.
2. Record the run as `running`, load the pull checkpoint.
3. Fetch a page, apply it, then save the checkpoint after it (with the lease's renewal, in one
   transaction). The checkpoint moves only once its page is applied, so a crash in between re-applies the
   page, which costs nothing and changes nothing (`leadgate.sync.apply`).
4. Before each further page, stop if the time left is less than the slowest page so far took: the run
   ends at a page boundary with `more_pending` (status `partial`), and the next run, or a continuation the
   caller schedules at once, carries on from the checkpoint.
5. A connector that also pushes (HubSpot) then sends the leads changed in leadgate since the push
   checkpoint, page by page under the same budget (`leadgate.sync.push`), once the pull has caught up.
6. Record the outcome and release the lease.

A provider's 401 (`AuthenticationFailed`) or a provider down past the retries fails the run with that
reason; pages applied before it keep their checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

from leadgate import dependencies
from leadgate.clock import Budget, Clock, timestamp
from leadgate.integrations.errors import AuthenticationFailed, IntegrationError, OutOfBudget
from leadgate.leads.ids import new_ulid
from leadgate.sync import lease as leases
from leadgate.sync import push as pushes
from leadgate.sync.apply import RecordResult, apply_page
from leadgate.sync.connector import Connector, ConnectorConfig, Page, PushingConnector, Record
from leadgate.sync.runs import UNAUTHORIZED, Counts, RunRecord, Status, iso, load_checkpoint, put_run, save_checkpoint

logger = Logger(child=True)

# The lease outlives the budget by this much, so a run finishing its last page keeps it; each saved
# checkpoint renews it. Callers pass the function's timeout when they know it.
LEASE_MARGIN_SECONDS = 120.0

ApplyPage = Callable[[ConnectorConfig, Sequence[Record]], list[RecordResult]]


@dataclass(frozen=True)
class RunProgress:
    run_id: str
    pages: int
    counts: Counts


Progress = Callable[[RunProgress], None]


def run_sync(
    config: ConnectorConfig,
    connector: Connector,
    apply: ApplyPage = apply_page,
    *,
    clock: Clock = timestamp,
    budget_seconds: float,
    lease_seconds: float | None = None,
    progress: Progress | None = None,
    run_id: str | None = None,
) -> RunRecord:
    started = clock()
    record = RunRecord(
        run_id=run_id or new_ulid(datetime.fromtimestamp(started, UTC)),  # given: a run the API queued
        tenant_id=config.tenant_id,
        connection_id=config.connection_id,
        provider=config.provider,
        status="running",
        started_at=iso(started),
    )
    lease = leases.acquire(
        config.tenant_id,
        config.connection_id,
        record.run_id,
        now=started,
        seconds=lease_seconds or budget_seconds + LEASE_MARGIN_SECONDS,
    )
    if lease is None:
        skipped = record.finished("skipped", clock(), error="Another run of this connection holds its lease.")
        put_run(skipped, now=clock())
        logger.info("Sync run skipped", extra={"connection_id": config.connection_id})
        return skipped
    put_run(record, now=started)
    run = _Run(record, config, connector, apply, lease, Budget(clock, budget_seconds), progress)
    finished = run.execute()
    put_run(finished, now=clock())
    leases.release(lease)
    logger.info(
        "Sync run finished",
        extra={"connection_id": config.connection_id, "status": finished.status, "counts": vars(finished.counts)},
    )
    return finished


@dataclass
class _Run:
    record: RunRecord
    config: ConnectorConfig
    connector: Connector
    apply: ApplyPage
    lease: leases.Lease
    budget: Budget
    progress: Progress | None
    counts: Counts = field(default_factory=Counts)
    pages: int = 0
    slowest_page: float = 0.0

    @property
    def clock(self) -> Clock:
        return self.budget.clock

    def execute(self) -> RunRecord:
        status: Status
        error = None
        more_pending = False
        try:
            more_pending = self._pull()
            if not more_pending and isinstance(self.connector, PushingConnector):
                more_pending = self._push(self.connector)
            status = "partial" if more_pending or self.counts.failed else "succeeded"
        except OutOfBudget as exc:
            status, more_pending, error = "partial", True, str(exc)
        except AuthenticationFailed as exc:
            status, error = "failed", f"{UNAUTHORIZED}: {exc}"
        except (IntegrationError, leases.LeaseLost) as exc:
            status, error = "failed", str(exc)
        except Exception as exc:  # recorded, never lost: the run record says the run failed and how
            status = "failed"
            if dependencies.is_transient(exc):  # AWS throttled or unreachable: the next run carries on
                logger.warning("Sync run stopped by a dependency", extra={"connection_id": self.config.connection_id})
                error = f"A dependency was unavailable ({type(exc).__name__})."
            else:
                logger.exception("Sync run crashed", extra={"connection_id": self.config.connection_id})
                error = f"Internal error ({type(exc).__name__})."
        return self.record.finished(
            status, self.clock(), counts=replace(self.counts), pages=self.pages, more_pending=more_pending, error=error
        )

    def _pull(self) -> bool:
        """Apply pages until the changes run out (False) or the budget does (True: more to fetch)."""
        checkpoint = load_checkpoint(self.config.tenant_id, self.config.connection_id, "pull")
        pages = self.connector.fetch_changes(checkpoint, self.budget)
        try:
            while True:
                if self.pages and not self.budget.allows(self.slowest_page):
                    return True
                page_started = self.clock()
                page = next(pages, None)
                if page is None:
                    return False
                self._apply(page)
                self.slowest_page = max(self.slowest_page, self.clock() - page_started)
                if not page.has_more:
                    return False
        finally:
            _close(pages)

    def _push(self, connector: PushingConnector) -> bool:
        """Push pages of changed leads until none is left (False) or the budget runs out (True)."""
        checkpoint = load_checkpoint(self.config.tenant_id, self.config.connection_id, "push")
        while True:
            if self.pages and not self.budget.allows(self.slowest_page):
                return True
            page_started = self.clock()
            batch = pushes.select(self.config, checkpoint)
            if batch.leads:
                self.counts.pushed += pushes.link(self.config, batch, connector.push(batch.leads, self.budget))
            if batch.checkpoint != checkpoint:
                save_checkpoint(self.lease, "push", batch.checkpoint, now=self.clock())
                checkpoint = batch.checkpoint
            self.pages += 1
            self.slowest_page = max(self.slowest_page, self.clock() - page_started)
            if self.progress:
                self.progress(RunProgress(self.record.run_id, self.pages, replace(self.counts)))
            if not batch.has_more:
                return False

    def _apply(self, page: Page) -> None:
        results = self.apply(self.config, page.records)
        self.counts.fetched += len(page.records)
        for result in results:
            self.counts.add(result.outcome)
        save_checkpoint(self.lease, "pull", page.checkpoint, now=self.clock())
        self.pages += 1
        if self.progress:
            self.progress(RunProgress(self.record.run_id, self.pages, replace(self.counts)))


def _close(pages: Iterator[Page]) -> None:
    close = getattr(pages, "close", None)
    if close:
        close()
