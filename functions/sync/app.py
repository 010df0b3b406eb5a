"""The sync function: one run of one connection, invoked by its EventBridge Scheduler schedule.

Event: `{"connection_id": "con_..."}`, and `run_id` when the API queued the run (`POST .../sync`). The
run's budget is the invocation's remaining time less `MARGIN_SECONDS` (recording the run, releasing the
lease), so it stops at a page boundary before the function's Timeout. A run that stopped at its budget with
more pending schedules its continuation at once (a one-time `at()` schedule in the group, deleted after it
fires: docs/integrations-sync.md).
"""

import time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, StringConstraints

from leadgate import aws
from leadgate.connections.models import CONNECTION_ID_PATTERN
from leadgate.observability import observed
from leadgate.settings import get_settings
from leadgate.sync.runner import run_connection
from leadgate.sync.schedules import Schedules

MARGIN_SECONDS = 20.0


class SyncEvent(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    connection_id: Annotated[str, StringConstraints(pattern=CONNECTION_ID_PATTERN.pattern)]
    run_id: Annotated[str, StringConstraints(pattern=r"^[0-7][0-9A-HJKMNP-TV-Z]{25}$")] | None = (
        None  # queued by the API
    )


def handle(event, context):
    request = SyncEvent.model_validate(event)
    schedules = Schedules(aws.client("scheduler"), get_settings().sync_schedule_group)
    budget = max(1.0, context.get_remaining_time_in_millis() / 1000 - MARGIN_SECONDS)
    record = run_connection(request.connection_id, budget_seconds=budget, schedules=schedules, run_id=request.run_id)
    if record.more_pending:
        schedules.continue_now(request.connection_id, record.run_id, time.time())
    return record.to_json()


lambda_handler = observed(handle)
