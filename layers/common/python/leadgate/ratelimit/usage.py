"""GET /api/v1/usage: the caller's own usage of each of its windows."""

from __future__ import annotations

from pydantic import BaseModel

from leadgate.api import Caller
from leadgate.ratelimit import client_usage


class WindowReport(BaseModel):
    name: str
    limit: int
    window: int  # seconds
    used: int
    remaining: int
    reset: int  # Unix seconds


class UsageReport(BaseModel):
    client_id: str
    tenant: str
    tier: str
    windows: list[WindowReport]


def usage_report(caller: Caller) -> UsageReport:
    """Read (not count) the caller's windows: the request asking already counted in them."""
    return UsageReport(
        client_id=caller.client_id,
        tenant=caller.tenant_id,
        tier=caller.tier,
        windows=[
            WindowReport(
                name=usage.policy.name,
                limit=usage.limit,
                window=usage.policy.window,
                used=min(usage.used, usage.limit),
                remaining=usage.remaining,
                reset=usage.reset,
            )
            for usage in client_usage(caller.client_id, caller.rate_policies)
        ],
    )
