"""Time, in one place: the current instant, its ISO form, and budgets (how long work may still take).

Everything that reads the time goes through `now()` or `timestamp()`, and both read `source`: the tests'
`clock` fixture replaces it, once, to freeze or move time everywhere. A `Clock` is any callable answering
Unix seconds: code that waits or measures takes one (default `timestamp`), so a test can also hand it a fake
that advances when slept.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], float]

source: Clock = time.time  # where the time comes from; only the tests' clock fixture replaces it


def now() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.fromtimestamp(timestamp(), UTC)


def timestamp() -> float:
    """The current instant as Unix seconds."""
    return source()


def iso(moment: datetime | float) -> str:
    """The one ISO 8601 form the API emits: UTC, microseconds, `+00:00` (`2026-03-28T09:15:00.123456+00:00`)."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


class Budget:
    """A deadline on a clock: what is left of it, and whether a wait still fits before it."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.deadline = clock() + seconds

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def allows(self, seconds: float) -> bool:
        """Whether `seconds` more (a wait, a page) still fit in the budget."""
        return self.remaining() > seconds

    def within(self, seconds: float) -> Budget:
        """A budget of at most `seconds` from now that never outlasts this one (one call's share of a run)."""
        return Budget(self.clock, min(seconds, self.remaining()))
