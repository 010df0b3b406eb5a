"""Runs waiting out a `wait` (up to 30 days), held by the automations queue, not by a sleeping Lambda.

A wait up to SQS's 15 minutes is one message's `DelaySeconds`; a longer one hops: each message is delayed 15
minutes and, received before the run's `resume_at`, queued again for what is left (at most 2,880 hops for 30
days, each one SendMessage), so no index or sweeper is needed. The message names the run (tenant, automation,
the event); `runner.resumed` takes the run up once (`runs.take_up`), so a duplicate message does nothing.
The local stack scales every wait by `LEADGATE_LOCAL_DELAY_SCALE` (the runner does, when it saves `resume_at`).
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadgate import aws, clock
from leadgate.outbound.schedule import SQS_MAX_DELAY
from leadgate.settings import get_settings

if TYPE_CHECKING:
    from leadgate.automations.runs import Run


def message(run: Run) -> str:
    return json.dumps(
        {
            "kind": "resume",
            "tenant": run.tenant_id,
            "automation_id": run.automation_id,
            "event": run.event.body(),
            "resume_at": run.resume_at,
        }
    )


def send(body: str, seconds: float) -> None:
    delay = min(max(math.ceil(seconds), 0), SQS_MAX_DELAY)
    aws.sqs().send_message(QueueUrl=get_settings().automations_queue_url, MessageBody=body, DelaySeconds=delay)


def schedule(run: Run, seconds: float) -> None:
    send(message(run), seconds)


def remaining(resume_at: str) -> float:
    """Seconds left before `resume_at` (0 or less: due)."""
    return (datetime.fromisoformat(resume_at) - clock.now()).total_seconds()


def parse(body: str) -> dict[str, Any]:
    return json.loads(body)
