"""When a failed delivery is tried again: Svix's schedule, `Retry-After`, and where the wait is held.

Attempts: immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h after the previous failure (8 attempts
over about 27.5 hours). A `Retry-After` longer than the next step replaces it (capped at the longest step).
A wait up to SQS's 15 minutes is the message's `DelaySeconds`; a longer one parks the delivery on the table's
`by_due` index, which the sweeper reads each minute (docs/webhooks-out.md says why not EventBridge Scheduler).
The local stack multiplies every wait by `LEADGATE_LOCAL_DELAY_SCALE`; timeouts are never scaled.
"""

from __future__ import annotations

import math
from datetime import timedelta

from leadgate.settings import get_settings

SCHEDULE = (0, 5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)  # seconds before attempt n+1
MAX_ATTEMPTS = len(SCHEDULE)
SQS_MAX_DELAY = 900
TIMEOUT_SECONDS = 15  # per attempt, connect and each read; not scaled
DISABLE_AFTER = timedelta(days=5)  # failing every attempt that long disables the endpoint


def next_wait(failed_attempts: int, retry_after: float | None = None) -> float | None:
    """Seconds to wait before the next attempt after `failed_attempts` failures in a row (scaled for the local
    stack), or None when the schedule is exhausted."""
    if failed_attempts >= MAX_ATTEMPTS:
        return None
    wait = float(SCHEDULE[failed_attempts])
    if retry_after is not None:
        wait = max(wait, min(retry_after, float(max(SCHEDULE))))
    return wait * get_settings().local_delay_scale


def sqs_delay(wait: float) -> int | None:
    """The message's DelaySeconds for a wait SQS can hold, else None (the due index holds it)."""
    return math.ceil(wait) if wait <= SQS_MAX_DELAY else None
