"""The local stack's EventBridge Scheduler: fires the sync schedules that moto stores but never fires.

Every tick (`LEADGATE_LOCAL_SCHEDULER_TICK` seconds, default 15; tests use a fraction of a second) the
scheduler lists the sync group's schedules from moto and fires:

- an ENABLED `rate(...)` schedule when it is new to the scheduler (so a connection created with
  `--sync-every` syncs at once) and then each time its period has passed since it last fired;
- a one-time `at(...)` schedule (a run's continuation) once its time has come, then deletes it, as
  `ActionAfterCompletion: DELETE` does on AWS.

Firing calls the sync function's handler with the schedule's `Input` on an instance of the stack's function
pool, with the function's `Timeout` as its deadline, in a thread of its own: a schedule still running is not
fired again. `stop()` returns within about a second; a run in flight ends at its own budget.

moto keeps schedules in memory only: at start the scheduler puts back the schedule of every connection
with a `sync_every` (switched off when its sync was disabled), so schedules survive a restart.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from aws_lambda_powertools import Logger

from leadgate.connections.models import Connection
from leadgate.sync.schedules import Schedules, ScheduleTarget, at_time, interval_seconds
from leadgate_dev.harness.events import lambda_context
from leadgate_dev.local.instances import FunctionPool

logger = Logger(service="local-scheduler")

TICK_ENV = "LEADGATE_LOCAL_SCHEDULER_TICK"
DEFAULT_TICK_SECONDS = 15.0
SYNC_FUNCTION = "sync"
ACCOUNT = "123456789012"


def stack_target(*, stack: str, region: str, dead_letter_arn: str) -> ScheduleTarget:
    """The local stack's sync function, the role the Scheduler would assume, and the schedules' DLQ."""
    return ScheduleTarget(
        function_arn=f"arn:aws:lambda:{region}:{ACCOUNT}:function:{stack}-sync",
        role_arn=f"arn:aws:iam::{ACCOUNT}:role/{stack}-sync-scheduler",
        dead_letter_arn=dead_letter_arn,
    )


class LocalScheduler:
    def __init__(
        self,
        *,
        client: Any,
        functions: FunctionPool,
        group: str,
        target: ScheduleTarget,
        tick_seconds: float | None = None,
        clock: Any = time.time,
    ) -> None:
        self.client = client
        self.functions = functions
        self.group = group
        self.target = target
        self.tick_seconds = tick_seconds or float(os.environ.get(TICK_ENV) or DEFAULT_TICK_SECONDS)
        self.clock = clock
        self.fired: dict[str, float] = {}  # schedule name -> when it last fired
        self._running: set[str] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @classmethod
    def for_stack(cls, *, stack: str, region: str, functions: FunctionPool, dead_letter_arn: str) -> LocalScheduler:
        import boto3

        client = boto3.client("scheduler")
        group = f"{stack}-sync"
        with contextlib.suppress(client.exceptions.ConflictException):
            client.create_schedule_group(Name=group)
        target = stack_target(stack=stack, region=region, dead_letter_arn=dead_letter_arn)
        return cls(client=client, functions=functions, group=group, target=target)

    def restore(self, connections: Iterable[Connection]) -> None:
        """The schedules of the registry's syncing connections (a restart lost moto's)."""
        schedules = Schedules(self.client, self.group)
        for connection in connections:
            if connection.sync_every and connection.enabled:
                schedules.put(connection.connection_id, connection.sync_every, self.target)
                if connection.sync_disabled_reason:
                    schedules.disable(connection.connection_id)

    def description(self) -> dict[str, str]:
        """stack.json's `sync`: what the CLI puts in a schedule."""
        return {
            "schedule_group": self.group,
            "function_arn": self.target.function_arn,
            "role_arn": self.target.role_arn,
            "dead_letter_arn": self.target.dead_letter_arn,
        }

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="local-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.tick()
            except Exception:  # a tick that failed (moto restarting) is tried again at the next one
                logger.exception("Local scheduler tick failed")
            self._stopping.wait(self.tick_seconds)

    @property
    def running(self) -> frozenset[str]:
        """The schedules whose invocation has not returned yet: they are not fired again meanwhile."""
        with self._lock:
            return frozenset(self._running)

    def tick(self) -> list[str]:
        """Fires every schedule due now; their names."""
        due = [schedule for schedule in self._schedules() if self._due(schedule)]
        for schedule in due:
            self._fire(schedule)
        return [schedule["Name"] for schedule in due]

    def _schedules(self) -> list[dict[str, Any]]:
        pages = self.client.get_paginator("list_schedules").paginate(GroupName=self.group)
        names = [summary["Name"] for page in pages for summary in page.get("Schedules", [])]
        found = []
        for name in names:
            try:
                found.append(self.client.get_schedule(Name=name, GroupName=self.group))
            except self.client.exceptions.ResourceNotFoundException:
                continue  # deleted meanwhile
        return found

    def _due(self, schedule: Mapping[str, Any]) -> bool:
        name = schedule["Name"]
        with self._lock:
            if schedule.get("State") != "ENABLED" or name in self._running:
                return False
        expression = schedule.get("ScheduleExpression", "")
        fires_at = at_time(expression)
        if fires_at is not None:
            return fires_at <= self.clock()
        period = interval_seconds(expression)
        last = self.fired.get(name)
        return period is not None and (last is None or self.clock() - last >= period)

    def _fire(self, schedule: Mapping[str, Any]) -> None:
        name = schedule["Name"]
        self.fired[name] = self.clock()
        if at_time(schedule.get("ScheduleExpression", "")) is not None:
            try:
                self.client.delete_schedule(Name=name, GroupName=self.group)
            except self.client.exceptions.ResourceNotFoundException:
                return  # fired elsewhere already
        event = json.loads(schedule["Target"].get("Input") or "{}")
        with self._lock:
            self._running.add(name)
        threading.Thread(target=self._invoke, args=(name, event), name=f"sync-{name}", daemon=True).start()

    def _invoke(self, name: str, event: dict[str, Any]) -> None:
        timeout_ms = int(self.functions.timeouts[SYNC_FUNCTION] * 1000)
        try:
            with self.functions.instance(SYNC_FUNCTION) as module:
                module.lambda_handler(event, lambda_context(SYNC_FUNCTION, str(uuid.uuid4()), timeout_ms))
        except Exception:  # as on AWS: the schedule's retry policy, here the next tick at its rate
            logger.exception("Scheduled sync failed", extra={"schedule": name})
        finally:
            with self._lock:
                self._running.discard(name)
