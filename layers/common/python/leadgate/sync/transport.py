"""HTTP to a provider, with the run's retry policy: one place for throttling and transient faults.

- 429: wait what `Retry-After` says (seconds or an HTTP date), or until the provider's rate-limit reset
  header, else a jittered backoff; then retry.
- 5xx, timeouts and connection errors: retry with full-jitter exponential backoff (tenacity).
- Retries are bounded per request (`max_attempts`) and per run (`retry_allowance`, shared by every request
  of the run), and a wait that does not fit in the run's budget stops the run at its page boundary
  (`OutOfBudget`) rather than overrunning the function's timeout.
- A response saying the rate limit is used up (`remaining: 0`) makes the next request wait for its reset.

Every other answer (2xx, 4xx) is returned for the connector to interpret. Headers are never logged: they
carry credentials.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from aws_lambda_powertools import Logger
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_random_exponential

from leadgate.sync.connector import Budget, Clock, OutOfBudget, ProviderUnavailable

logger = Logger(child=True)

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class RateLimitHeaders:
    """Where a provider reports its rate limit: the requests left and when the window resets."""

    remaining: str
    reset: str
    reset_is_epoch: bool = True  # Unix seconds (Intercom); else seconds from now


class _Retryable(Exception):
    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class ProviderHttp:
    """One run's HTTP client for one provider. Not shared between runs: its retry allowance is the run's."""

    def __init__(
        self,
        provider: str,
        *,
        clock: Clock = time.time,
        sleep: Callable[[float], None] = time.sleep,
        session: requests.Session | None = None,
        timeout_seconds: float = 10.0,
        max_attempts: int = 5,
        retry_allowance: int = 20,
        backoff_max_seconds: float = 20.0,
        rate_limit_headers: RateLimitHeaders | None = None,
        before_request: Callable[[Budget], None] | None = None,
    ) -> None:
        self.provider = provider
        self.clock = clock
        self.sleep = sleep
        self.session = session or requests.Session()
        self.timeout_seconds = timeout_seconds
        self.max_attempts = max_attempts
        self.retries_left = retry_allowance
        self.backoff = wait_random_exponential(multiplier=0.5, max=backoff_max_seconds)
        self.rate_limit_headers = rate_limit_headers
        self.before_request = before_request
        self.retries = 0  # made in this run, for the run's log
        self._blocked_until = 0.0

    def post(self, url: str, *, json: Any, headers: Mapping[str, str], budget: Budget) -> requests.Response:
        over_budget = False

        def stop(state: RetryCallState) -> bool:
            nonlocal over_budget
            over_budget = not budget.allows(state.upcoming_sleep)
            return over_budget or state.attempt_number >= self.max_attempts or self.retries_left <= 0

        def count_retry(state: RetryCallState) -> None:
            self.retries_left -= 1
            self.retries += 1
            reason = state.outcome.exception() if state.outcome else None
            logger.info("Retrying provider request", extra={"provider": self.provider, "reason": str(reason)})

        retrying = Retrying(
            retry=retry_if_exception_type(_Retryable),
            wait=self._wait,
            stop=stop,
            sleep=self.sleep,
            before_sleep=count_retry,
            reraise=True,
        )
        try:
            return retrying(self._attempt, url, json, headers, budget)
        except _Retryable as exc:
            if over_budget:
                raise OutOfBudget(f"{self.provider}: {exc.reason}; the wait does not fit in the run's budget") from exc
            raise ProviderUnavailable(f"{self.provider}: {exc.reason} (gave up after retries)") from exc

    def _attempt(self, url: str, body: Any, headers: Mapping[str, str], budget: Budget) -> requests.Response:
        self._wait_for_rate_limit(budget)
        if self.before_request:
            self.before_request(budget)
        timeout = max(1.0, min(self.timeout_seconds, budget.remaining()))
        try:
            response = self.session.post(url, json=body, headers=dict(headers), timeout=timeout)
        except requests.Timeout as exc:
            raise _Retryable("timeout") from exc
        except requests.ConnectionError as exc:
            raise _Retryable("connection error") from exc
        self._note_rate_limit(response)
        if response.status_code == 429:
            raise _Retryable("throttled (429)", self._retry_after(response))
        if response.status_code in TRANSIENT_STATUSES:
            raise _Retryable(f"server error ({response.status_code})", _retry_after_header(response, self.clock()))
        return response

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            return exc.retry_after
        return self.backoff(state)

    def _retry_after(self, response: requests.Response) -> float | None:
        after = _retry_after_header(response, self.clock())
        if after is None and self._blocked_until:
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
        if remaining <= 0:
            self._blocked_until = reset if names.reset_is_epoch else self.clock() + reset
        else:
            self._blocked_until = 0.0

    def _wait_for_rate_limit(self, budget: Budget) -> None:
        wait = self._blocked_until - self.clock()
        if wait <= 0:
            return
        if not budget.allows(wait):
            raise OutOfBudget(f"{self.provider}: rate limit used up for {wait:.0f} s more")
        self.sleep(wait)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _retry_after_header(response: requests.Response, now: float) -> float | None:
    """`Retry-After` in seconds, from either of its forms (delta-seconds or an HTTP date)."""
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
