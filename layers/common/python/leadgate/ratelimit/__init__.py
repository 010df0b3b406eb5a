"""Per-client rate limits: fixed-window quotas counted in the rate-limit table, and the usage headers.

`leadgate.api.LeadgateResolver` calls `limit_request()` before routing every request that carries an
authorizer context: over the limit, the request is answered 429 RATE_LIMITED without running its route;
otherwise the route runs and `RequestLimit.headers()` go on whatever it answered. docs/rate-limits.md.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger

from leadgate import aws, errors
from leadgate.ratelimit.counter import Decision, FixedWindowCounter, WindowUsage
from leadgate.ratelimit.headers import rate_limit_headers
from leadgate.ratelimit.policies import (
    DEFAULT_POLICIES,
    InvalidPolicies,
    Policy,
    parse_policies,
    parse_policy_spec,
    policies_json,
    validate_policies,
)
from leadgate.settings import get_settings

__all__ = [
    "DEFAULT_POLICIES",
    "Decision",
    "FixedWindowCounter",
    "InvalidPolicies",
    "Policy",
    "RequestLimit",
    "WindowUsage",
    "client_policies",
    "client_subject",
    "client_usage",
    "limit_request",
    "parse_policies",
    "parse_policy_spec",
    "policies_json",
    "request_counter",
    "validate_policies",
]

logger = Logger(child=True)

_counter: FixedWindowCounter | None = None
_counter_lock = threading.Lock()


def request_counter() -> FixedWindowCounter:
    """The process's counter on the rate-limit table, rebuilt when the client or the table changes."""
    global _counter  # noqa: PLW0603 - one counter per Lambda instance, built on first use
    dynamodb, table = aws.dynamodb(), get_settings().rate_limit_table
    with _counter_lock:
        if _counter is None or _counter.dynamodb is not dynamodb or _counter.table != table:
            _counter = FixedWindowCounter(dynamodb, table)
        return _counter


def client_subject(client_id: str) -> str:
    return f"client#{client_id}"


def client_policies(raw: str | None) -> tuple[Policy, ...]:
    """The caller's policies from the authorizer context; a malformed value falls back to the default."""
    try:
        return parse_policies(raw)
    except InvalidPolicies:
        logger.error("Malformed rate policies in the authorizer context; using the default", extra={"raw": raw})
        return DEFAULT_POLICIES


@dataclass(frozen=True)
class RequestLimit:
    """One request counted against its client's policies."""

    decision: Decision
    policies: tuple[Policy, ...]

    @property
    def allowed(self) -> bool:
        return self.decision.allowed

    def headers(self) -> dict[str, str]:
        return rate_limit_headers(self.decision, self.policies)

    def error(self) -> errors.RateLimited:
        binding = self.decision.binding
        return errors.RateLimited(
            f"Rate limit exceeded: {binding.limit} requests per {binding.policy.window} seconds. "
            f"Retry after {self.decision.retry_after} seconds."
        )


def limit_request(authorizer_context: Mapping[str, Any] | None) -> RequestLimit | None:
    """Count a request of the authenticated client; None when the request has no client (public routes)."""
    client_id = (authorizer_context or {}).get("client_id")
    if not client_id:
        return None
    policies = client_policies((authorizer_context or {}).get("rate_policies"))
    return RequestLimit(request_counter().hit(client_subject(str(client_id)), policies), policies)


def client_usage(client_id: str, rate_policies: str | None) -> tuple[WindowUsage, ...]:
    """Each window's current usage of a client, without counting."""
    return request_counter().peek(client_subject(client_id), client_policies(rate_policies))
