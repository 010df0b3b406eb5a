"""Dependencies that fail: how long an AWS call may take, and what a failed one means for the client.

- Every AWS client gets `client_config()`: short connect and read timeouts and botocore's standard retry mode
  with a bounded number of attempts (settings `DEPENDENCY_*`; defaults 1 s, 3 s, 3 attempts).
- The invocation's time budget bounds them further: `deadline(context)` (entered by every handler, see
  `leadgate.observability`) remembers when Lambda will stop the function. Once an attempt has failed on the
  network (refused, reset, timed out) in this invocation, no attempt is started that could not end before
  then (connect + read timeout + a margin to answer): it raises `DeadlineExceeded` instead. A hung dependency
  therefore costs at most the budget minus the margin, and the client gets an answer rather than Lambda's
  timeout; while the network is healthy, calls run until the margin, so long work (a batch) is not cut short.
- `retry_after(exc)` is the one classifier of failures that are the dependency's, not ours (transient):
  throttling, 5xx, connection and timeout errors, a deadline, unprocessed batch items, at any depth of an
  exception's chain (Powertools wraps them). The edge answers them 503 `SERVICE_UNAVAILABLE` with
  `Retry-After` (`unavailable(exc)`); the webhook worker hands the event back to the queue and a sync run
  records the dependency as the reason (`is_transient(exc)`).
- `batch_get` / `batch_write` retry what BatchGetItem and BatchWriteItem leave unprocessed (throttled
  partitions), at most `MAX_UNPROCESSED_ROUNDS` times with exponential backoff, and answer what is still left.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from leadgate import errors
from leadgate.settings import get_settings

# Seconds a client should wait: throttling clears quickly, an unreachable or hung service takes longer.
RETRY_AFTER_THROTTLED = 1
RETRY_AFTER_UNAVAILABLE = 5
# Time kept back from the budget to answer the client once the last attempt has failed.
ANSWER_MARGIN_SECONDS = 0.5
# Rounds of a batch's unprocessed keys or items, and the first pause between them (doubled each round).
MAX_UNPROCESSED_ROUNDS = 5
UNPROCESSED_BACKOFF_SECONDS = 0.05

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "LimitExceededException",
        "ThrottlingError",  # a transaction's cancellation reason
        "TransactionConflict",  # another transaction held the item; retrying succeeds
        "TransactionConflictException",
        "TransactionInProgressException",
    }
)
UNAVAILABLE_CODES = frozenset(
    {"InternalServerError", "InternalFailure", "InternalErrorException", "ServiceUnavailable", "RequestTimeout"}
)


@dataclass
class _Budget:
    end: float  # time.monotonic() when Lambda stops the invocation
    failing: bool = False  # an attempt failed on the network in this invocation


_budget: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("leadgate_budget", default=None)


class DeadlineExceeded(Exception):
    """An AWS call was not attempted: it could not have finished within the invocation's time budget."""


class Unprocessed(Exception):
    """A batch left keys or items unprocessed (throttled) after its rounds: a throttled dependency."""


def client_config() -> Any:
    """The botocore Config every client is built with."""
    from botocore.config import Config

    settings = get_settings()
    return Config(
        connect_timeout=settings.dependency_connect_timeout,
        read_timeout=settings.dependency_read_timeout,
        retries={"mode": "standard", "total_max_attempts": settings.dependency_max_attempts},
    )


def watch_deadline(client: Any) -> Any:
    """Makes `client` refuse attempts that would outlast the invocation (botocore's before-send event runs
    before every attempt, retries included; needs-retry after each, with the network error if there was one)."""
    client.meta.events.register("before-send", _check_deadline)
    client.meta.events.register("needs-retry", _note_network_failure)
    return client


@contextmanager
def deadline(context: Any) -> Iterator[None]:
    """The invocation's time budget, from the Lambda context; no context (tools, tests) means no budget."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    token = _budget.set(_Budget(time.monotonic() + remaining() / 1000) if callable(remaining) else None)
    try:
        yield
    finally:
        _budget.reset(token)


def time_left(cap: float) -> float:
    """Seconds a call outside botocore (an HTTP request) may wait: `cap`, or less when the budget is short."""
    budget = _budget.get()
    if budget is None:
        return cap
    left = budget.end - time.monotonic() - ANSWER_MARGIN_SECONDS
    if left <= 0:
        raise DeadlineExceeded("No time left for the call.")
    return min(cap, left)


def _check_deadline(**_kwargs: Any) -> None:
    budget = _budget.get()
    if budget is None:
        return
    needed = ANSWER_MARGIN_SECONDS
    if budget.failing:  # this attempt may well hang too: start it only if its timeouts end within the budget
        settings = get_settings()
        needed += settings.dependency_connect_timeout + settings.dependency_read_timeout
    if budget.end - time.monotonic() < needed:
        raise DeadlineExceeded("Not enough time left for another attempt.")


def _note_network_failure(caught_exception: BaseException | None = None, **_kwargs: Any) -> None:
    budget = _budget.get()
    if budget is not None and caught_exception is not None:
        budget.failing = True


def unavailable(exc: BaseException) -> errors.Unavailable | None:
    """The 503 that `exc` means when a dependency failed (anywhere in its chain of causes), else None."""
    seconds = retry_after(exc)
    return None if seconds is None else errors.Unavailable(seconds)


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` is a dependency's failure that retrying later can clear."""
    return retry_after(exc) is not None


def retry_after(exc: BaseException) -> int | None:
    """Seconds to wait when `exc` (or anything in its chain of causes) is a dependency's failure, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        seconds = _own_retry_after(current)
        if seconds is not None:
            return seconds
        current = current.__cause__ or current.__context__
    return None


def batch_get(
    client: Any, request: dict[str, Any], *, sleep: Callable[[float], None] = time.sleep
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """BatchGetItem of `request` (RequestItems), with its unprocessed keys retried: the items read per table,
    and the request of the keys still unread after the last round (empty when every key was read)."""
    found: dict[str, list[dict[str, Any]]] = {}
    for round_ in range(MAX_UNPROCESSED_ROUNDS):
        if round_:
            sleep(UNPROCESSED_BACKOFF_SECONDS * 2 ** (round_ - 1))
        answer = client.batch_get_item(RequestItems=request)
        for table, items in answer.get("Responses", {}).items():
            found.setdefault(table, []).extend(items)
        request = answer.get("UnprocessedKeys") or {}
        if not request:
            break
    return found, request


def batch_write(
    client: Any, request: dict[str, list[dict[str, Any]]], *, sleep: Callable[[float], None] = time.sleep
) -> None:
    """BatchWriteItem of `request` (RequestItems), with its unprocessed items retried; `Unprocessed` when
    some are still left after the last round."""
    for round_ in range(MAX_UNPROCESSED_ROUNDS):
        if round_:
            sleep(UNPROCESSED_BACKOFF_SECONDS * 2 ** (round_ - 1))
        request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
        if not request:
            return
    raise Unprocessed(f"{sum(len(items) for items in request.values())} item(s) left unwritten")


def _own_retry_after(exc: BaseException) -> int | None:
    if isinstance(exc, errors.Unavailable):
        return exc.retry_after
    if isinstance(exc, Unprocessed):
        return RETRY_AFTER_THROTTLED
    from botocore.exceptions import ClientError, HTTPClientError
    from botocore.exceptions import ConnectionError as BotocoreConnectionError

    # A deadline; refused or connect timeout; reset, closed or read timeout.
    if isinstance(exc, DeadlineExceeded | BotocoreConnectionError | HTTPClientError):
        return RETRY_AFTER_UNAVAILABLE
    if isinstance(exc, ClientError):
        codes = {exc.response.get("Error", {}).get("Code")}
        codes |= {reason.get("Code") for reason in exc.response.get("CancellationReasons") or []}
        if codes & THROTTLING_CODES:
            return RETRY_AFTER_THROTTLED
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        if codes & UNAVAILABLE_CODES or status >= 500:
            return RETRY_AFTER_UNAVAILABLE
    return None
