"""HTTP to another system, with the one retry policy every outbound call follows (HubSpot's API and OAuth
token refresh, Intercom, Chat Dealer).

- 429: wait what `Retry-After` says (seconds or an HTTP date), else until the provider's rate-limit reset,
  else a jittered exponential backoff; then retry. 5xx (500, 502, 503, 504), timeouts and connection errors:
  the same (a 5xx may carry `Retry-After` too).
- An answer saying the rate limit is used up (`remaining: 0`) makes the next request wait for its reset.
- Bounds: `max_attempts` per request, an optional `retry_allowance` shared by every request of the transport
  (a sync run's), and the time budget: the caller's, else `call_seconds`, and never past the invocation's
  deadline (`leadgate.dependencies.time_left`). A wait that does not fit in the budget is not taken:
  `OutOfBudget` is raised instead; retries used up raise `TransientError`. Both carry the last status and
  the wait the provider asked for.

Every other answer (2xx, 4xx) is returned for the caller to interpret. Headers are never logged: they carry
credentials.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests
from aws_lambda_powertools import Logger
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential

from leadgate import dependencies
from leadgate.clock import Budget, Clock, timestamp
from leadgate.integrations.errors import OutOfBudget, TransientError

logger = Logger(child=True)

TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
DEFAULT_TIMEOUT = (3.05, 10.0)  # connect, read (seconds)
RUN_DEFAULTS: dict[str, Any] = {"max_attempts": 5, "retry_allowance": 20, "backoff_max_seconds": 20.0}


@dataclass(frozen=True)
class RateLimitHeaders:
    """Where a provider reports its rate limit: the requests left and when the window resets, as Unix seconds
    (`epoch`, Intercom), seconds from now (`seconds`) or milliseconds from now (`milliseconds`, HubSpot's
    window length: an upper bound of the wait)."""

    remaining: str
    reset: str
    reset_unit: str = "epoch"


HUBSPOT_RATE_LIMIT = RateLimitHeaders(
    remaining="X-HubSpot-RateLimit-Remaining",
    reset="X-HubSpot-RateLimit-Interval-Milliseconds",
    reset_unit="milliseconds",
)
INTERCOM_RATE_LIMIT = RateLimitHeaders(remaining="X-RateLimit-Remaining", reset="X-RateLimit-Reset")


class _Retryable(Exception):
    def __init__(self, reason: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        self.retry_after = retry_after


class Transport:
    """One provider's HTTP client. Thread-safe apart from its counters; a sync run builds its own, so that its
    retry allowance is the run's."""

    def __init__(
        self,
        provider: str,
        *,
        session: requests.Session | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        max_attempts: int = 3,
        retry_allowance: int | None = None,
        backoff_max_seconds: float = 8.0,
        call_seconds: float = 20.0,
        rate_limit_headers: RateLimitHeaders | None = None,
        before_request: Callable[[Budget], None] | None = None,
        clock: Clock = timestamp,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.provider = provider
        self.session = session or requests.Session()
        self.timeout = timeout
        self.max_attempts = max_attempts
        self.retries_left = retry_allowance
        self.backoff = wait_random_exponential(multiplier=0.5, max=backoff_max_seconds)
        self.call_seconds = call_seconds
        self.rate_limit_headers = rate_limit_headers
        self.before_request = before_request
        self.clock = clock
        self.sleep = sleep
        self.retries = 0  # made so far, for a run's log
        self._blocked_until = 0.0

    @classmethod
    def for_run(cls, provider: str, **options: Any) -> Transport:
        """A sync run's transport: more patience per request than a webhook's call (the run's budget bounds
        it), and a retry allowance shared by every request of the run."""
        return cls(provider, **{**RUN_DEFAULTS, **options})

    def post(self, url: str, **kwargs: Any) -> requests.Response:
        return self.request("POST", url, **kwargs)

    def request(self, method: str, url: str, *, budget: Budget | None = None, **kwargs: Any) -> requests.Response:
        """The provider's answer once it is neither throttling nor failing (2xx, 4xx); `kwargs` go to requests."""
        budget = self._budget(budget)
        over_budget = False

        def stop(state: RetryCallState) -> bool:
            nonlocal over_budget
            over_budget = not budget.allows(state.upcoming_sleep)
            out_of_retries = self.retries_left is not None and self.retries_left <= 0
            return over_budget or out_of_retries or state.attempt_number >= self.max_attempts

        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            wait=self._wait,
            stop=stop,
            sleep=self.sleep,
            before_sleep=self._count_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, method, url, budget, kwargs)
        except _Retryable as exc:
            where = f"{self.provider} {method} {_path(url)}: {exc.reason}"
            if over_budget:
                raise OutOfBudget(
                    f"{where}; the wait does not fit in the time budget", status=exc.status, retry_after=exc.retry_after
                ) from exc
            raise TransientError(
                f"{where} (gave up after retries)", status=exc.status, retry_after=exc.retry_after
            ) from exc

    def _budget(self, given: Budget | None) -> Budget:
        """The caller's budget (else `call_seconds`), cut to what the invocation has left."""
        try:
            seconds = dependencies.time_left(self.call_seconds if given is None else given.remaining())
        except dependencies.DeadlineExceeded as exc:
            raise OutOfBudget(f"{self.provider}: no time left in the invocation") from exc
        return Budget(self.clock, seconds) if given is None else given.within(seconds)

    def _attempt(self, method: str, url: str, budget: Budget, kwargs: dict[str, Any]) -> requests.Response:
        self._wait_for_rate_limit(budget)
        if self.before_request:
            self.before_request(budget)
        left = budget.remaining()
        if left <= 0:
            raise OutOfBudget(f"{self.provider}: no time left for the request")
        connect, read = self.timeout
        timeout = (min(connect, left), min(read, left))  # a hung provider may not outrun the budget either
        try:
            response = self.session.request(method, url, timeout=timeout, **kwargs)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise _Retryable(type(exc).__name__) from exc
        self._note_rate_limit(response)
        if response.status_code in TRANSIENT_STATUSES:
            reason = "throttled (429)" if response.status_code == 429 else f"server error ({response.status_code})"
            raise _Retryable(reason, status=response.status_code, retry_after=self._retry_after(response))
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return self.backoff(state)

    def _count_retry(self, state: RetryCallState) -> None:
        if self.retries_left is not None:
            self.retries_left -= 1
        self.retries += 1
        reason = state.outcome.exception() if state.outcome else None
        logger.info("Retrying provider request", extra={"provider": self.provider, "reason": str(reason)})

    def _retry_after(self, response: requests.Response) -> float | None:
        after = retry_after(response, self.clock())
        if after is None and response.status_code == 429 and self._blocked_until:
            after = max(0.0, self._blocked_until - self.clock())
        return after

    def _note_rate_limit(self, response: requests.Response) -> None:
        names = self.rate_limit_headers
        if names is None:
            return
        remaining = _number(response.headers.get(names.remaining))
        reset = _number(response.headers.get(names.reset))
        if remaining is None or reset is None:
            return
        if remaining > 0:
            self._blocked_until = 0.0
        elif names.reset_unit == "epoch":
            self._blocked_until = reset
        else:
            self._blocked_until = self.clock() + (reset / 1000 if names.reset_unit == "milliseconds" else reset)

    def _wait_for_rate_limit(self, budget: Budget) -> None:
        wait = self._blocked_until - self.clock()
        if wait <= 0:
            return
        if not budget.allows(wait):
            raise OutOfBudget(f"{self.provider}: rate limit used up for {wait:.0f} s more", retry_after=wait)
        self.sleep(wait)


def retry_after(response: requests.Response, now: float) -> float | None:
    """`Retry-After` in seconds from `now`, from either of its forms (delta-seconds or an HTTP date)."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    seconds = _number(value.strip())
    if seconds is not None:
        return max(0.0, seconds)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - now)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _path(url: str) -> str:
    """The URL's path alone: its query may carry search terms."""
    return urlsplit(url).path
