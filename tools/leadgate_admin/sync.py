"""`leadgate connections set-schedule`, `leadgate sync run` and `leadgate sync runs`.

- A syncing connection has ONE EventBridge Scheduler schedule in the stack's sync group
  (`leadgate.sync.schedules`): `set_schedule(id, every)` records `sync_every` on the connection (and clears a
  `sync_disabled_reason`) and creates or changes the schedule; `every=None` removes both.
- `run(id)`: on the local stack, in this process against the stack's emulators (the environment the
  stack's functions see, from stack.json), with a progress line on a terminal's stderr; on a deployed stack
  (`--stack`), a synchronous invocation of its sync function (the same code, with its IAM role).
- `runs(id)`: the connection's run records, newest first (one Query).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from leadgate.connections.manage import apply_schedule
from leadgate.connections.models import Provider
from leadgate.connections.registry import ConnectionRegistry, UnknownConnection
from leadgate.connections.types import syncs
from leadgate.sync.engine import RunProgress
from leadgate.sync.schedules import Schedules, ScheduleTarget
from leadgate_admin.connections import ConnectionSpecError

LOCAL_BUDGET_SECONDS = 270.0  # as the sync function's: its Timeout (300 s) less its margin


@dataclass
class SyncAdmin:
    registry: ConnectionRegistry
    schedules: Schedules
    target: ScheduleTarget
    environment: Mapping[str, str]  # what leadgate's settings read, for an in-process run
    invoke: Callable[[str], dict[str, Any]] | None = None  # a deployed stack's sync function

    def set_schedule(self, connection_id: str, every: str | None) -> dict[str, Any]:
        connection = self.registry.get(connection_id, fresh=True)
        if connection is None:
            raise UnknownConnection(connection_id)
        if every is not None:
            refuse_schedule(connection.provider.value)
        changed = apply_schedule(self.registry, self.schedules, self.target, connection, every)
        return {**changed.public(), "schedule": self.schedule(connection_id)}

    def schedule(self, connection_id: str) -> dict[str, Any] | None:
        found = self.schedules.get(connection_id)
        if found is None:
            return None
        return {"name": found["Name"], "expression": found["ScheduleExpression"], "state": found["State"]}

    def run(self, connection_id: str, *, stderr: TextIO = sys.stderr) -> dict[str, Any]:
        if self.registry.get(connection_id, fresh=True) is None:
            raise UnknownConnection(connection_id)
        if self.invoke is not None:
            return self.invoke(connection_id)
        self._use_environment()
        import leadgate.observability  # noqa: F401 - the functions' logger exists before its stream is moved
        from leadgate.sync.runner import run_connection

        _log_to(stderr)
        progress = _ProgressLine(stderr) if stderr.isatty() else None
        try:
            record = run_connection(
                connection_id,
                budget_seconds=LOCAL_BUDGET_SECONDS,
                registry=self.registry,
                schedules=self.schedules,
                progress=progress,
            )
        finally:
            if progress:
                progress.close()
        return record.to_json()

    def runs(self, connection_id: str, *, limit: int = 20) -> list[dict[str, Any]]:
        connection = self.registry.get(connection_id, fresh=True)
        if connection is None:
            raise UnknownConnection(connection_id)
        self._use_environment()
        from leadgate.sync.runs import list_runs

        runs, _ = list_runs(connection.tenant_id, connection_id, limit=limit)
        return [run.to_json() for run in runs]

    def _use_environment(self) -> None:
        from leadgate import aws

        os.environ.update(self.environment)
        aws.reset_clients()


def refuse_schedule(provider: str) -> None:
    """A provider without a sync connector (Standard Webhooks senders) has nothing to schedule."""
    if not syncs(Provider(provider)):
        raise ConnectionSpecError(f"A {provider} connection only receives webhooks: it has nothing to sync.")


class _ProgressLine:
    """`pages 3  fetched 300  applied 280  pushed 0`, rewritten in place with \\r."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, progress: RunProgress) -> None:
        counts = progress.counts
        applied = counts.created + counts.updated + counts.matched + counts.unchanged
        self.stream.write(
            f"\rsync {progress.run_id}: pages {progress.pages}  fetched {counts.fetched}  applied {applied}"
            f"  failed {counts.failed}  pushed {counts.pushed}"
        )
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()


def lambda_invoker(client: Any, function_arn: str) -> Callable[[str], dict[str, Any]]:
    """A deployed sync function, invoked and waited for (RequestResponse)."""

    def invoke(connection_id: str) -> dict[str, Any]:
        answer = client.invoke(FunctionName=function_arn, Payload=json.dumps({"connection_id": connection_id}).encode())
        body = json.loads(answer["Payload"].read() or b"{}")
        if answer.get("FunctionError"):
            return {"status": "failed", "error": body.get("errorMessage", "The sync function failed.")}
        return body

    return invoke


def _log_to(stream: TextIO) -> None:
    """An in-process run logs as the sync function would, but on `stream`: stdout carries the run's record."""
    import logging

    for logger in [logging.getLogger(), *logging.root.manager.loggerDict.values()]:
        for handler in getattr(logger, "handlers", ()):
            if isinstance(handler, logging.StreamHandler) and handler.stream is sys.stdout:
                handler.setStream(stream)
