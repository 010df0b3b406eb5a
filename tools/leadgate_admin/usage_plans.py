"""API Gateway usage plans (the client tiers) and the clients' API keys in them.

Each tier is a usage plan of the stack, named `{stack}-{tier}` and tagged `leadgate:tier`, with its own
throttle and quota. Each client gets one API key, associated with its tier's plan; the authorizer returns
the key's value as `usageIdentifierKey` (API key source AUTHORIZER), so clients never send `x-api-key`.
Admin-side only (the CLI and the local stack); no request path calls this module.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

TIER_TAG = "leadgate:tier"
CLIENT_TAG = "leadgate:client"


class UnknownTier(ValueError):
    """No usage plan of the stack is tagged with this tier."""


@dataclass(frozen=True)
class ApiKey:
    id: str
    value: str


def stack_usage_plans(apigateway: Any, stack: str) -> dict[str, dict[str, Any]]:
    """tier -> usage plan (as GetUsagePlans returns it), for the plans named `{stack}-{tier}` and tagged so."""
    plans = {}
    for page in apigateway.get_paginator("get_usage_plans").paginate():
        for plan in page.get("items", []):
            tier = (plan.get("tags") or {}).get(TIER_TAG)
            if tier and plan.get("name") == f"{stack}-{tier}":
                plans[tier] = plan
    return plans


def find_usage_plans(apigateway: Any, stack: str) -> dict[str, str]:
    """tier -> usage plan id of the stack's plans."""
    return {tier: plan["id"] for tier, plan in stack_usage_plans(apigateway, stack).items()}


class ApiKeys:
    """Creates, moves, rotates, disables and deletes client API keys in the stack's usage plans."""

    def __init__(self, apigateway: Any, plans: Mapping[str, str]) -> None:
        self.apigateway = apigateway
        self.plans = dict(plans)  # tier -> usage plan id

    @classmethod
    def for_stack(cls, apigateway: Any, stack: str) -> ApiKeys:
        return cls(apigateway, find_usage_plans(apigateway, stack))

    @property
    def tiers(self) -> tuple[str, ...]:
        return tuple(sorted(self.plans))

    def plan_id(self, tier: str) -> str:
        try:
            return self.plans[tier]
        except KeyError:
            raise UnknownTier(
                f"Unknown tier {tier!r}; the tiers are {', '.join(self.tiers) or '(none: no usage plans found)'}."
            ) from None

    def create(self, client_id: str, tier: str, *, enabled: bool = True) -> ApiKey:
        """A new key in the tier's plan; nothing is left behind if the association fails."""
        plan_id = self.plan_id(tier)
        key = self.apigateway.create_api_key(
            name=client_id, description=f"leadgate client {client_id}", enabled=enabled, tags={CLIENT_TAG: client_id}
        )
        try:
            self.apigateway.create_usage_plan_key(usagePlanId=plan_id, keyId=key["id"], keyType="API_KEY")
        except Exception:
            self.delete(key["id"])
            raise
        return ApiKey(id=key["id"], value=key["value"])

    def move(self, key_id: str, from_tier: str, to_tier: str) -> None:
        """Moves a key to another tier's plan: associated with the new plan before leaving the old one."""
        if from_tier == to_tier:
            return
        new_plan = self.plan_id(to_tier)
        self.apigateway.create_usage_plan_key(usagePlanId=new_plan, keyId=key_id, keyType="API_KEY")
        old_plan = self.plans.get(from_tier)
        if old_plan:
            # Not in the old plan (already moved) is fine: there is nothing to leave.
            with contextlib.suppress(self.apigateway.exceptions.NotFoundException):
                self.apigateway.delete_usage_plan_key(usagePlanId=old_plan, keyId=key_id)

    def set_enabled(self, key_id: str, enabled: bool) -> None:
        """Enables or disables a key; a key that no longer exists is refused anyway."""
        with contextlib.suppress(self.apigateway.exceptions.NotFoundException):
            self.apigateway.update_api_key(
                apiKey=key_id, patchOperations=[{"op": "replace", "path": "/enabled", "value": str(enabled).lower()}]
            )

    def delete(self, key_id: str) -> None:
        """Deletes a key (API Gateway removes it from its plans); an already deleted key is fine."""
        with contextlib.suppress(self.apigateway.exceptions.NotFoundException):
            self.apigateway.delete_api_key(apiKey=key_id)
