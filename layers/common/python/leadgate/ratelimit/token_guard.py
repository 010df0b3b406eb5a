"""Protection of POST /oauth2/token: requests and failed secrets counted per source address and per
(client id, source address). Checked before the secret is: a refused request never reaches Cognito.

Client ids are not secret, so nothing is counted per client id alone: failures from one address must never
lock the right secret out at another. An address guessing one client's secret is stopped by the
pair's limit, an address guessing many clients' by its own; the right secret from an address that has not
been failing keeps working. docs/rate-limits.md has the policy.

One item per subject and window (15 minutes by default; pk `token#ip#{ip}` or `token#pair#{ip}#{client_id}`
plus `#{window}`, sk the window start) holds `hits` and `failures`. Admission is one conditional UpdateItem
per subject (`ADD hits :one` while both counts are under their limits); a failed secret adds to `failures`.
The address is checked first, so a client id sprayed from one address is stopped before its pair counter
moves. Client ids reach this module already checked (at most 128 printable ASCII characters,
`leadgate.auth.token`), and addresses contain no `#`, so the keys are unambiguous and within DynamoDB's bounds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from leadgate import aws, clock
from leadgate.settings import get_settings

TTL_MARGIN_SECONDS = 600


@dataclass(frozen=True)
class AttemptLimits:
    requests: int  # token requests per window
    failures: int  # failed secrets per window; at the limit the subject is locked out until the window ends


class TokenAttemptsExceeded(Exception):
    """Too many token requests or failed secrets for a client id or an address: 429 until `retry_after`."""

    def __init__(self, subject_kind: str, reason: str, retry_after: int) -> None:
        self.subject_kind = subject_kind  # "client" (this client id from this address) or "ip"
        self.reason = reason  # "requests" or "failures"
        self.retry_after = retry_after
        super().__init__(f"{subject_kind} {reason} over the limit; retry after {retry_after}s")

    def body(self) -> dict[str, str]:
        """An OAuth-style error (the endpoint speaks RFC 6749); `slow_down` is the registered error for it."""
        what = "failed authentications" if self.reason == "failures" else "token requests"
        return {"error": "slow_down", "error_description": f"Too many {what}; retry after {self.retry_after} seconds."}


class TokenGuard:
    def __init__(
        self, dynamodb: Any, table: str, *, client_limits: AttemptLimits, ip_limits: AttemptLimits, window: int
    ) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.window = window
        self.limits = {"ip": ip_limits, "client": client_limits}

    def admit(self, client_id: str, source_ip: str) -> None:
        """Counts a token request; raises `TokenAttemptsExceeded` (before any secret check) when over."""
        now = clock.timestamp()
        for kind, subject in self._subjects(client_id, source_ip):
            self._count_request(kind, subject, now)

    def record_failure(self, client_id: str, source_ip: str) -> None:
        """A secret (or client id) was refused: one more failure for the address and for the pair."""
        now = clock.timestamp()
        for _kind, subject in self._subjects(client_id, source_ip):
            self.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(subject, now),
                UpdateExpression="ADD failures :one SET expires_at = :expires",
                ExpressionAttributeValues={":one": {"N": "1"}, ":expires": {"N": str(self._expires(now))}},
            )

    def _count_request(self, kind: str, subject: str, now: float) -> None:
        limits = self.limits[kind]
        try:
            self.dynamodb.update_item(
                TableName=self.table,
                Key=self._key(subject, now),
                UpdateExpression="ADD hits :one SET expires_at = :expires",
                ConditionExpression=(
                    "(attribute_not_exists(hits) OR hits < :max_hits)"
                    " AND (attribute_not_exists(failures) OR failures < :max_failures)"
                ),
                ExpressionAttributeValues={
                    ":one": {"N": "1"},
                    ":max_hits": {"N": str(limits.requests)},
                    ":max_failures": {"N": str(limits.failures)},
                    ":expires": {"N": str(self._expires(now))},
                },
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException as exc:
            item = exc.response.get("Item", {})
            failures = int(item.get("failures", {}).get("N", "0"))
            reason = "failures" if failures >= limits.failures else "requests"
            raise TokenAttemptsExceeded(kind, reason, self._retry_after(now)) from None

    def _subjects(self, client_id: str, source_ip: str) -> tuple[tuple[str, str], ...]:
        return (("ip", f"token#ip#{source_ip}"), ("client", f"token#pair#{source_ip}#{client_id}"))

    def _key(self, subject: str, now: float) -> dict[str, dict[str, str]]:
        return {"pk": {"S": f"{subject}#{self.window}"}, "sk": {"S": str(self._window_start(now))}}

    def _window_start(self, now: float) -> int:
        return int(now // self.window) * self.window

    def _expires(self, now: float) -> int:
        return self._window_start(now) + self.window + TTL_MARGIN_SECONDS

    def _retry_after(self, now: float) -> int:
        return max(1, math.ceil(self._window_start(now) + self.window - now))


def token_guard() -> TokenGuard:
    """The guard as the settings configure it (TOKEN_* variables; defaults: 60 requests and 5 failed secrets
    per client id and address, 300 requests and 20 failures per address, per 15 minutes)."""
    settings = get_settings()
    return TokenGuard(
        aws.dynamodb(),
        settings.rate_limit_table,
        client_limits=AttemptLimits(settings.token_requests_per_client, settings.token_failures_per_client),
        ip_limits=AttemptLimits(settings.token_requests_per_ip, settings.token_failures_per_ip),
        window=settings.token_window_seconds,
    )
