"""GET /api/v1/usage: the caller's own usage of each of its windows."""

from __future__ import annotations

from pydantic import BaseModel

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


def usage_report(client_id: str, tenant_id: str, tier: str, rate_policies: str) -> UsageReport:
    """Read (not count) the client's windows: the request asking already counted in them."""
    return UsageReport(
        client_id=client_id,
        tenant=tenant_id,
        tier=tier,
        windows=[
            WindowReport(
                name=usage.policy.name,
                limit=usage.limit,
                window=usage.policy.window,
                used=min(usage.used, usage.limit),
                remaining=usage.remaining,
                reset=usage.reset,
            )
            for usage in client_usage(client_id, rate_policies)
        ],
    )
