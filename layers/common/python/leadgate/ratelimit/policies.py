"""Rate-limit policies: how many requests a client may make per fixed window.

A client's policies live in its registry item as `rate_policies` (a JSON list of `{"limit", "window"}`)
and reach the handlers through the authorizer context. No policies means LeadHub's default, 1000 per hour.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

MAX_POLICIES = 3
WINDOW_NAMES = {1: "secondly", 60: "minutely", 3600: "hourly", 86400: "daily"}


class Policy(BaseModel):
    """`limit` requests per fixed window of `window` seconds, windows aligned to the Unix epoch."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    limit: int = Field(ge=1, le=100_000_000)
    window: int = Field(ge=1, le=31 * 86400)

    @property
    def name(self) -> str:
        """The policy's name in the IETF `RateLimit-Policy` and `RateLimit` fields."""
        return WINDOW_NAMES.get(self.window, f"per-{self.window}s")

    def window_start(self, now: float) -> int:
        return int(now // self.window) * self.window

    def to_json(self) -> dict[str, int]:
        return {"limit": self.limit, "window": self.window}


DEFAULT_POLICIES: tuple[Policy, ...] = (Policy(limit=1000, window=3600),)
_POLICY_LIST = TypeAdapter(list[Policy])


class InvalidPolicies(ValueError):
    """A policy set that cannot be enforced exactly (see `validate_policies`)."""


def validate_policies(policies: Iterable[Policy]) -> tuple[Policy, ...]:
    """The policies sorted shortest window first, checked so that counting stays exact.

    Windows must be distinct and nested: each longer window a whole multiple of every shorter one, so a
    long window's boundary is always a short window's boundary too. That is what lets a request charge the
    short window before the long one rejects it without ever changing another request's outcome
    (docs/rate-limits.md, "Two windows").
    """
    ordered = tuple(sorted(policies, key=lambda policy: policy.window))
    if not ordered:
        raise InvalidPolicies("At least one policy is needed.")
    if len(ordered) > MAX_POLICIES:
        raise InvalidPolicies(f"At most {MAX_POLICIES} policies are allowed.")
    for shorter, longer in itertools.pairwise(ordered):
        if longer.window == shorter.window:
            raise InvalidPolicies(f"Two policies share the window {shorter.window}s.")
        if longer.window % shorter.window:
            raise InvalidPolicies(f"The {longer.window}s window is not a multiple of the {shorter.window}s window.")
        if longer.limit < shorter.limit:
            raise InvalidPolicies(
                f"The {longer.window}s limit ({longer.limit}) is below the {shorter.window}s limit ({shorter.limit})."
            )
    return ordered


def parse_policies(raw: str | Sequence[Any] | None) -> tuple[Policy, ...]:
    """Policies from the registry/authorizer form (a JSON string or a list); empty means the default.

    Raises `InvalidPolicies` for anything malformed.
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return DEFAULT_POLICIES
    try:
        items = json.loads(raw) if isinstance(raw, str) else list(raw)
        policies = _POLICY_LIST.validate_python(items)
    except (ValueError, TypeError, ValidationError) as exc:
        raise InvalidPolicies(f"Malformed rate policies: {exc}") from exc
    return validate_policies(policies) if policies else DEFAULT_POLICIES


def parse_policy_spec(spec: str) -> Policy:
    """`"1000/3600"` (limit/window seconds) as a policy, for the admin CLI."""
    limit, separator, window = spec.partition("/")
    try:
        if not separator:
            raise ValueError(spec)
        return Policy(limit=int(limit), window=int(window))
    except (ValueError, ValidationError) as exc:
        raise InvalidPolicies(f"{spec!r} is not LIMIT/WINDOW_SECONDS with positive integers.") from exc


def policies_json(policies: Iterable[Policy]) -> str:
    """The stored form: a compact JSON list, shortest window first."""
    return json.dumps([policy.to_json() for policy in validate_policies(policies)], separators=(",", ":"))
