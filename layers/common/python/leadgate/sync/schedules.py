"""The EventBridge Scheduler schedules of sync runs: one per syncing connection, in the stack's group.

- A connection's schedule is named by its connection id, fires `rate(...)` from the connection's
  `sync_every` (`15m` → `rate(15 minutes)`), and targets the sync function with `{"connection_id": ...}`,
  a retry policy and the schedules' dead-letter queue. The CLI creates, changes and deletes it
  (`put`, `delete`); the template only declares the group, the target's role and the queue.
- `disable` switches a schedule off (a provider refused the connection's credentials after a refresh).
- `run_now` is a run the API started (`POST /api/v1/integrations/{id}/sync`): the same one-time schedule, with
  the run id the API answered in its `Input`.
- `continue_now` is the continuation of a run that stopped at its budget with more pending: a one-time
  `at(...)` schedule with the same target, deleted by the Scheduler once it has fired. It reuses the
  connection's schedule's target, so the sync function needs no other ARN than its group's.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

RETRY_POLICY = {"MaximumEventAgeInSeconds": 3600, "MaximumRetryAttempts": 3}
_EVERY = re.compile(r"^([1-9][0-9]{0,3})([mhd])$")
_UNITS = {"m": "minute", "h": "hour", "d": "day"}
_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_AT = re.compile(r"^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$")


@dataclass(frozen=True)
class ScheduleTarget:
    """Where a stack's sync schedules deliver: the sync function, the role the Scheduler assumes, the DLQ."""

    function_arn: str
    role_arn: str
    dead_letter_arn: str

    def for_connection(self, connection_id: str, run_id: str | None = None) -> dict[str, Any]:
        """The target of the connection's schedule; with `run_id`, of one run the API queued under that id."""
        event = {"connection_id": connection_id} | ({"run_id": run_id} if run_id else {})
        return {
            "Arn": self.function_arn,
            "RoleArn": self.role_arn,
            "Input": json.dumps(event),
            "RetryPolicy": RETRY_POLICY,
            "DeadLetterConfig": {"Arn": self.dead_letter_arn},
        }


def rate_expression(every: str) -> str:
    """`15m` → `rate(15 minutes)`, `1h` → `rate(1 hour)`."""
    match = _EVERY.match(every)
    if not match:
        raise ValueError(f"{every!r} is not an interval like 15m, 1h or 1d")
    count, unit = int(match.group(1)), _UNITS[match.group(2)]
    return f"rate({count} {unit}{'' if count == 1 else 's'})"


def interval_seconds(expression: str) -> float | None:
    """The period of a `rate(...)` expression in seconds; None for any other expression."""
    match = _RATE.match(expression)
    return int(match.group(1)) * _SECONDS[match.group(2).rstrip("s")] if match else None


def at_time(expression: str) -> float | None:
    """When a one-time `at(...)` expression (UTC) fires, in Unix seconds; None for any other expression."""
    match = _AT.match(expression)
    return datetime.fromisoformat(match.group(1)).replace(tzinfo=UTC).timestamp() if match else None


class Schedules:
    """The sync schedules of one group, on an explicit EventBridge Scheduler client."""

    def __init__(self, client: Any, group: str) -> None:
        self.client = client
        self.group = group

    def put(self, connection_id: str, every: str, target: ScheduleTarget) -> None:
        """Creates the connection's schedule, or changes its rate (and enables it again)."""
        definition = self._definition(connection_id, rate_expression(every), target.for_connection(connection_id))
        try:
            self.client.create_schedule(**definition)
        except self.client.exceptions.ConflictException:
            self.client.update_schedule(**definition)

    def delete(self, connection_id: str) -> bool:
        """Deletes the connection's schedule; False when it had none."""
        try:
            self.client.delete_schedule(Name=connection_id, GroupName=self.group)
        except self.client.exceptions.ResourceNotFoundException:
            return False
        return True

    def get(self, connection_id: str) -> dict[str, Any] | None:
        try:
            return self.client.get_schedule(Name=connection_id, GroupName=self.group)
        except self.client.exceptions.ResourceNotFoundException:
            return None

    def disable(self, connection_id: str) -> bool:
        """Switches the connection's schedule off; False when it had none."""
        current = self.get(connection_id)
        if current is None:
            return False
        definition = self._definition(connection_id, current["ScheduleExpression"], current["Target"])
        self.client.update_schedule(**(definition | {"State": "DISABLED"}))
        return True

    def continue_now(self, connection_id: str, run_id: str, now: float) -> bool:
        """A one-time schedule firing at once with the connection's target; False without a schedule."""
        current = self.get(connection_id)
        if current is None:
            return False
        moment = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        definition = self._definition(f"{connection_id}-{run_id}"[:64], f"at({moment})", current["Target"])
        self.client.create_schedule(**definition, ActionAfterCompletion="DELETE")
        return True

    def run_now(self, connection_id: str, run_id: str, target: ScheduleTarget, now: float) -> None:
        """A one-time schedule firing at once: the run `run_id` the API queued (`POST .../sync`)."""
        moment = datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        definition = self._definition(
            f"{connection_id}-{run_id}"[:64], f"at({moment})", target.for_connection(connection_id, run_id)
        )
        self.client.create_schedule(**definition, ActionAfterCompletion="DELETE")

    def _definition(self, name: str, expression: str, target: dict[str, Any]) -> dict[str, Any]:
        return {
            "Name": name,
            "GroupName": self.group,
            "ScheduleExpression": expression,
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "Target": target,
            "State": "ENABLED",
        }
