"""The usage headers: LeadHub's `X-RateLimit-*` and the IETF `RateLimit-Policy` / `RateLimit` fields.

`X-RateLimit-*` describe the binding window (the one that limits the client most); the IETF fields
(draft-ietf-httpapi-ratelimit-headers, structured-field lists) describe every window:

    RateLimit-Policy: "minutely";q=60;w=60, "hourly";q=1000;w=3600
    RateLimit: "minutely";r=57;t=42, "hourly";r=847;t=1711
"""

from __future__ import annotations

from collections.abc import Sequence

from leadgate.ratelimit.counter import Decision
from leadgate.ratelimit.policies import Policy


def policy_field(policies: Sequence[Policy]) -> str:
    return ", ".join(f'"{policy.name}";q={policy.limit};w={policy.window}' for policy in policies)


def rate_limit_headers(decision: Decision, policies: Sequence[Policy]) -> dict[str, str]:
    binding = decision.binding
    headers = {
        "X-RateLimit-Limit": str(binding.limit),
        "X-RateLimit-Remaining": str(binding.remaining),
        "X-RateLimit-Reset": str(binding.reset),
        "RateLimit-Policy": policy_field(policies),
        "RateLimit": ", ".join(
            f'"{usage.policy.name}";r={usage.remaining};t={usage.seconds_to_reset(decision.now)}'
            for usage in decision.windows
        ),
    }
    if not decision.allowed:
        headers["Retry-After"] = str(decision.retry_after)
    return headers
