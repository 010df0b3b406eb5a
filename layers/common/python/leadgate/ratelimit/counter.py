"""Fixed-window request counters in the rate-limit table: one conditional UpdateItem per window.

Item: pk `{subject}#{window}`, sk `{window start}` (Unix seconds), `hits`, `expires_at` (TTL). The update
`ADD hits :one` only succeeds while `hits < :limit`, so DynamoDB itself arbitrates concurrent requests:
with a limit of L, exactly L of any number of concurrent requests succeed.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from leadgate import dependencies
from leadgate.clock import Clock, timestamp
from leadgate.ratelimit.policies import Policy

# Counters outlive their window a little so a late reader (GET /usage at the boundary) still finds them;
# DynamoDB's TTL sweep then deletes them, so the table stays the size of the active windows.
TTL_MARGIN_SECONDS = 600
# Remembered exhausted windows are pruned when there are more than this many (one entry per client window).
MAX_REMEMBERED_EXHAUSTED = 10_000


@dataclass(frozen=True)
class WindowUsage:
    """One window's state after a request: `used` includes that request when it was admitted."""

    policy: Policy
    used: int
    reset: int  # Unix seconds at which the window ends and its counter starts again from zero

    @property
    def limit(self) -> int:
        return self.policy.limit

    @property
    def remaining(self) -> int:
        return max(0, self.policy.limit - self.used)

    def seconds_to_reset(self, now: float) -> int:
        return max(0, math.ceil(self.reset - now))


@dataclass(frozen=True)
class Decision:
    """The outcome of counting one request against every window of its policies."""

    allowed: bool
    windows: tuple[WindowUsage, ...]  # shortest window first; on a rejection, the rejecting window is last
    now: float

    @property
    def binding(self) -> WindowUsage:
        """The window that limits the client most: the rejecting one, else the one with fewest remaining."""
        if not self.allowed:
            return self.windows[-1]
        return min(self.windows, key=lambda usage: (usage.remaining, -usage.reset))

    @property
    def retry_after(self) -> int:
        """Whole seconds until the rejecting window resets (at least 1)."""
        return max(1, self.binding.seconds_to_reset(self.now))


class FixedWindowCounter:
    """Counts requests of a subject (a client, an IP address...) against fixed windows.

    Windows are counted shortest first and counting stops at the first window that rejects. Policies are
    nested (see `validate_policies`), so a request that a long window rejects after a short window counted
    it changes no other request's outcome: the long window stays exhausted until a boundary at which the
    short window starts again from zero.

    A window that is exhausted stays exhausted until it ends, so the counter remembers it in memory and
    rejects further requests in that window without calling DynamoDB: a client over its limit costs
    nothing per request after the first rejection in each Lambda instance.
    """

    def __init__(self, dynamodb: Any, table: str, *, clock: Clock | None = None) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self._clock = clock
        self._exhausted: set[tuple[str, int, int, int]] = set()  # (subject, window, limit, window start)
        self._lock = threading.Lock()

    def now(self) -> float:
        return self._clock() if self._clock else timestamp()

    def hit(self, subject: str, policies: Sequence[Policy]) -> Decision:
        now = self.now()
        remembered = next((policy for policy in policies if self._is_exhausted(subject, policy, now)), None)
        if remembered is not None:
            usage = WindowUsage(remembered, remembered.limit, remembered.window_start(now) + remembered.window)
            return Decision(allowed=False, windows=(usage,), now=now)
        counted: list[WindowUsage] = []
        for policy in policies:
            usage, admitted = self._count(subject, policy, now)
            counted.append(usage)
            if usage.used >= policy.limit:
                self._remember_exhausted(subject, policy, now)
            if not admitted:
                return Decision(allowed=False, windows=tuple(counted), now=now)
        return Decision(allowed=True, windows=tuple(counted), now=now)

    def peek(self, subject: str, policies: Sequence[Policy]) -> tuple[WindowUsage, ...]:
        """Each window's current usage, read without counting (one BatchGetItem, strongly consistent)."""
        now = self.now()
        keys = [self._key(subject, policy, now) for policy in policies]
        # A window left unread reads as unused: counting fails open.
        items, _unread = dependencies.batch_get(self.dynamodb, {self.table: {"Keys": keys, "ConsistentRead": True}})
        hits = {(item["pk"]["S"], item["sk"]["S"]): int(item["hits"]["N"]) for item in items.get(self.table, [])}
        return tuple(
            WindowUsage(policy, hits.get((key["pk"]["S"], key["sk"]["S"]), 0), policy.window_start(now) + policy.window)
            for policy, key in zip(policies, keys, strict=True)
        )

    def _count(self, subject: str, policy: Policy, now: float) -> tuple[WindowUsage, bool]:
        reset = policy.window_start(now) + policy.window
        try:
            response = self.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(subject, policy, now),
                UpdateExpression="ADD hits :one SET expires_at = :expires",
                ConditionExpression="attribute_not_exists(hits) OR hits < :limit",
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":limit": {"N": str(policy.limit)},
                    ":expires": {"N": str(reset + TTL_MARGIN_SECONDS)},
                },
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException as exc:
            current = int(exc.response.get("Item", {}).get("hits", {}).get("N", policy.limit))
            return WindowUsage(policy, current, reset), False
        return WindowUsage(policy, int(response["Attributes"]["hits"]["N"]), reset), True

    @staticmethod
    def _key(subject: str, policy: Policy, now: float) -> dict[str, dict[str, str]]:
        return {"pk": {"S": f"{subject}#{policy.window}"}, "sk": {"S": str(policy.window_start(now))}}

    def _is_exhausted(self, subject: str, policy: Policy, now: float) -> bool:
        return (subject, policy.window, policy.limit, policy.window_start(now)) in self._exhausted

    def _remember_exhausted(self, subject: str, policy: Policy, now: float) -> None:
        with self._lock:
            if len(self._exhausted) >= MAX_REMEMBERED_EXHAUSTED:
                self._exhausted = {entry for entry in self._exhausted if entry[3] + entry[1] > now}
            self._exhausted.add((subject, policy.window, policy.limit, policy.window_start(now)))
