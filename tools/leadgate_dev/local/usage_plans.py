"""Usage plans on the local stack, enforced as API Gateway enforces them.

The gateway asks `UsagePlans.admit()` once per request, before the integration. As on API Gateway:

- every authorised route needs an API key (template: `ApiKeyRequired: true`), which the authorizer returns as
  `usageIdentifierKey`; a missing, unknown or disabled key, or one in no plan of this stack, is
  INVALID_API_KEY (403);
- the stage-wide default throttle (`MethodSettings` `/*` `*`) is a token bucket per method;
- the key's plan adds its own token bucket (rate, burst) and its quota per period (DAY, WEEK, MONTH, from
  00:00 UTC; weeks from Sunday, as with quota offset 0): THROTTLED or QUOTA_EXCEEDED (429). Throttled
  requests do not use quota.

Plans are created in the emulated API Gateway (moto) from the template at provisioning
(`ensure_usage_plans`), and the admin CLI puts the clients' keys in them, so the plans' throttle and quota
are read back from there: the template's numbers, or whatever an admin changed with the API Gateway API.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from leadgate_admin.usage_plans import TIER_TAG, find_usage_plans, stack_usage_plans
from leadgate_dev import template
from leadgate_dev.template import TemplateRoute

Clock = Callable[[], float]
# How long the key directory (key values, enabled flags, plan memberships, plan limits) is trusted before
# it is read again from API Gateway, as API Gateway itself takes a moment to apply key and plan changes.
DIRECTORY_MAX_AGE_SECONDS = 1.0


def ensure_usage_plans(apigateway: Any, stack: str) -> dict[str, str]:
    """The template's usage plans in this API Gateway, named `{stack}-{tier}`: tier -> plan id. Idempotent."""
    plans = find_usage_plans(apigateway, stack)
    for spec in template.usage_plans():
        if spec.tier in plans:
            continue
        quota = {"quota": {"limit": spec.quota_limit, "period": spec.quota_period}} if spec.quota_limit else {}
        created = apigateway.create_usage_plan(
            name=f"{stack}-{spec.tier}",
            description=f"leadgate {spec.tier} tier (from template.yaml)",
            throttle={"rateLimit": spec.rate_limit, "burstLimit": spec.burst_limit},
            tags={TIER_TAG: spec.tier},
            **quota,
        )
        plans[spec.tier] = created["id"]
    return plans


@dataclass(frozen=True)
class PlanLimits:
    plan_id: str
    rate: float
    burst: int
    quota_limit: int | None
    quota_period: str | None

    @classmethod
    def from_usage_plan(cls, plan: dict[str, Any]) -> PlanLimits:
        throttle, quota = plan.get("throttle") or {}, plan.get("quota") or {}
        return cls(
            plan_id=plan["id"],
            rate=float(throttle.get("rateLimit", 0)),
            burst=int(throttle.get("burstLimit", 0)),
            quota_limit=int(quota["limit"]) if quota.get("limit") is not None else None,
            quota_period=quota.get("period"),
        )


@dataclass(frozen=True)
class KeyEntry:
    key_id: str
    enabled: bool
    plan: PlanLimits | None  # None: the key is in no usage plan of this stack


def quota_period_start(period: str, now: float) -> float:
    """Start of the quota period containing `now` (UTC; weeks start on Sunday)."""
    moment = datetime.fromtimestamp(now, UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "DAY":
        start = day
    elif period == "WEEK":
        start = day - timedelta(days=(day.weekday() + 1) % 7)
    elif period == "MONTH":
        start = day.replace(day=1)
    else:
        raise ValueError(f"unknown quota period {period!r}")
    return start.timestamp()


class TokenBucket:
    """`burst` tokens, refilled at `rate` per second: API Gateway's throttle."""

    def __init__(self, rate: float, burst: int, now: float) -> None:
        self.rate, self.burst = rate, burst
        self.tokens = float(burst)
        self.updated = now

    def refill(self, now: float) -> None:
        self.tokens = min(float(self.burst), self.tokens + max(0.0, now - self.updated) * self.rate)
        self.updated = now

    def has_token(self, now: float) -> bool:
        self.refill(now)
        return self.tokens >= 1.0

    def take(self) -> None:
        self.tokens -= 1.0


class KeyDirectory:
    """API key value -> key id, enabled flag and plan limits, read from API Gateway and briefly cached."""

    def __init__(self, apigateway: Any, stack: str, clock: Clock) -> None:
        self.apigateway = apigateway
        self.stack = stack
        self.clock = clock
        self._entries: dict[str, KeyEntry] = {}
        self._read_at = float("-inf")
        self._lock = threading.Lock()

    def lookup(self, value: str) -> KeyEntry | None:
        """The key's entry; read again when stale or when the value is unknown (a key created just now)."""
        with self._lock:
            if value not in self._entries or self.clock() - self._read_at >= DIRECTORY_MAX_AGE_SECONDS:
                self._entries = self._read()
                self._read_at = self.clock()
            return self._entries.get(value)

    def _read(self) -> dict[str, KeyEntry]:
        plan_of_key: dict[str, PlanLimits] = {}
        for plan in stack_usage_plans(self.apigateway, self.stack).values():
            limits = PlanLimits.from_usage_plan(plan)
            pages = self.apigateway.get_paginator("get_usage_plan_keys").paginate(usagePlanId=limits.plan_id)
            for page in pages:
                for key in page.get("items", []):
                    plan_of_key[key["id"]] = limits
        entries = {}
        for page in self.apigateway.get_paginator("get_api_keys").paginate(includeValues=True):
            for key in page.get("items", []):
                entries[key["value"]] = KeyEntry(key["id"], bool(key.get("enabled")), plan_of_key.get(key["id"]))
        return entries


class UsagePlans:
    """The local stack's usage-plan enforcement (see the module docstring)."""

    def __init__(self, *, keys: KeyDirectory, stage_throttle: tuple[float, int], clock: Clock | None = None) -> None:
        self.keys = keys
        self.stage_rate, self.stage_burst = stage_throttle
        self.clock = clock or time.time
        self._method_buckets: dict[tuple[str, str], TokenBucket] = {}
        self._key_buckets: dict[str, TokenBucket] = {}
        self._quota_used: dict[tuple[str, str], tuple[float, int]] = {}  # (plan, key) -> (period start, used)
        self._lock = threading.Lock()

    def admit(self, *, route: TemplateRoute, api_key: str | None, request_id: str) -> str | None:
        """None lets the request through; otherwise the gateway response type that rejects it."""
        entry = None
        if route.scopes is not None:  # authorised routes are ApiKeyRequired in the template
            entry = self.keys.lookup(api_key) if api_key else None
            if entry is None or not entry.enabled or entry.plan is None:
                return "INVALID_API_KEY"
        with self._lock:
            now = self.clock()
            if entry is not None and entry.plan is not None and self._quota_exhausted(entry, now):
                return "QUOTA_EXCEEDED"
            buckets = [self._method_bucket(route, now)]
            if entry is not None and entry.plan is not None:
                buckets.append(self._key_bucket(entry, now))
            if not all(bucket.has_token(now) for bucket in buckets):
                return "THROTTLED"
            for bucket in buckets:
                bucket.take()
            if entry is not None and entry.plan is not None:
                self._use_quota(entry, now)
        return None

    def _method_bucket(self, route: TemplateRoute, now: float) -> TokenBucket:
        key = (route.method, route.path)
        if key not in self._method_buckets:
            self._method_buckets[key] = TokenBucket(self.stage_rate, self.stage_burst, now)
        return self._method_buckets[key]

    def _key_bucket(self, entry: KeyEntry, now: float) -> TokenBucket:
        assert entry.plan is not None
        bucket = self._key_buckets.get(entry.key_id)
        if bucket is None or (bucket.rate, bucket.burst) != (entry.plan.rate, entry.plan.burst):
            # A new key, or its plan changed (another tier, new limits): a full bucket of the new size.
            bucket = self._key_buckets[entry.key_id] = TokenBucket(entry.plan.rate, entry.plan.burst, now)
        return bucket

    def _quota_exhausted(self, entry: KeyEntry, now: float) -> bool:
        plan = entry.plan
        if plan is None or plan.quota_limit is None or plan.quota_period is None:
            return False
        start, used = self._quota_used.get((plan.plan_id, entry.key_id), (0.0, 0))
        return start == quota_period_start(plan.quota_period, now) and used >= plan.quota_limit

    def _use_quota(self, entry: KeyEntry, now: float) -> None:
        plan = entry.plan
        if plan is None or plan.quota_limit is None or plan.quota_period is None:
            return
        period = quota_period_start(plan.quota_period, now)
        start, used = self._quota_used.get((plan.plan_id, entry.key_id), (period, 0))
        self._quota_used[(plan.plan_id, entry.key_id)] = (period, used + 1 if start == period else 1)


def create_usage_plans(stack: str = "local", apigateway: Any | None = None, clock: Clock | None = None) -> UsagePlans:
    """The enforcement for a provisioned local stack (its plans are made sure of here too)."""
    if apigateway is None:
        import boto3

        apigateway = boto3.client("apigateway")  # the emulated one: AWS_ENDPOINT_URL_APIGATEWAY
    ensure_usage_plans(apigateway, stack)
    clock = clock or time.time
    return UsagePlans(
        keys=KeyDirectory(apigateway, stack, clock), stage_throttle=template.stage_throttle(), clock=clock
    )
