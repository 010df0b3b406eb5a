"""A client-side request limiter: at most N requests in any sliding minute, per provider environment.

Chat Dealer allows 60 requests a minute per environment. Runs of one connection never overlap (the lease),
so one process-wide limiter per environment keeps a run within the limit; a 429 that still happens (another
connection on the same environment, elsewhere) is retried by the transport.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from leadgate.clock import Budget, Clock, timestamp
from leadgate.integrations.errors import OutOfBudget

WINDOW_SECONDS = 60.0


class RequestLimiter:
    def __init__(self, per_minute: int, *, clock: Clock = timestamp, sleep: Callable[[float], None] = time.sleep):
        self.per_minute = per_minute
        self.clock = clock
        self.sleep = sleep
        self._sent: deque[float] = deque()
        self._lock = threading.Lock()

    def acquire(self, budget: Budget) -> None:
        """Wait until one more request fits in the window (OutOfBudget when the wait does not fit)."""
        with self._lock:
            now = self.clock()
            while self._sent and self._sent[0] <= now - WINDOW_SECONDS:
                self._sent.popleft()
            if len(self._sent) >= self.per_minute:
                wait = self._sent[0] + WINDOW_SECONDS - now
                if not budget.allows(wait):
                    raise OutOfBudget(f"the provider's limit of {self.per_minute} requests a minute is reached")
                self.sleep(wait)
                self._sent.popleft()
                now = self.clock()
            self._sent.append(now)


_limiters: dict[str, RequestLimiter] = {}
_registry_lock = threading.Lock()


def limiter_for(environment: str, per_minute: int) -> RequestLimiter:
    """The process-wide limiter of one provider environment (e.g. a Chat Dealer domain)."""
    with _registry_lock:
        if environment not in _limiters:
            _limiters[environment] = RequestLimiter(per_minute)
        return _limiters[environment]
