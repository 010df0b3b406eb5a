"""API Gateway's side of a Lambda REQUEST authorizer: the event, the policy cache and IAM policy evaluation.

API Gateway caches the authorizer's answer per identity source (the Authorization header) for
ReauthorizeEvery seconds and evaluates the cached policy against each request's method ARN, so a policy
must cover every route the token may call. This module does the same, so the local stack shows the
production behaviour (including a disabled client staying in until its cached policy expires).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"
API_ID = "local"
INVOKE_ACTION = "execute-api:Invoke"


def method_arn(stage: str, method: str, path: str) -> str:
    """The ARN API Gateway puts in the authorizer event: `.../{api}/{stage}/{METHOD}/{path without /}`."""
    return f"arn:aws:execute-api:{REGION}:{ACCOUNT_ID}:{API_ID}/{stage}/{method.upper()}/{path.lstrip('/')}"


@dataclass(frozen=True)
class Authorization:
    """What the authorizer answered: its principal, policy, context and usage identifier (API key)."""

    principal_id: str
    policy_document: Mapping[str, Any]
    context: Mapping[str, Any] = field(default_factory=dict)
    usage_identifier_key: str | None = None

    @classmethod
    def from_response(cls, response: Mapping[str, Any]) -> Authorization:
        """Reads an authorizer's answer; a malformed answer is an AuthorizerFailure (a 500 in API Gateway)."""
        if not isinstance(response, Mapping) or not isinstance(response.get("policyDocument"), Mapping):
            raise AuthorizerFailure("the authorizer returned no policyDocument")
        context = response.get("context") or {}
        if not isinstance(context, Mapping) or any(isinstance(v, Mapping | list) for v in context.values()):
            raise AuthorizerFailure("the authorizer context must map names to strings, numbers or booleans")
        return cls(
            principal_id=str(response.get("principalId", "")),
            policy_document=response["policyDocument"],
            context=context,
            usage_identifier_key=response.get("usageIdentifierKey"),
        )

    def request_context(self) -> dict[str, Any]:
        """`requestContext.authorizer` of the proxy event: the context as strings, plus principalId."""
        return {
            **{name: _context_value(value) for name, value in self.context.items()},
            "principalId": self.principal_id,
        }


class AuthorizerFailure(Exception):
    """The authorizer crashed or answered something API Gateway cannot use (AUTHORIZER_FAILURE, 500)."""


def _context_value(value: Any) -> str:
    # API Gateway hands context values to the integration as strings.
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def is_allowed(policy: Mapping[str, Any], arn: str) -> bool:
    """IAM evaluation of an authorizer's policy (its response or the policy document) for one method ARN,
    as API Gateway does: an explicit Deny wins, no match denies."""
    policy_document = policy.get("policyDocument", policy)
    allowed = False
    for statement in _as_list(policy_document.get("Statement")):
        if not isinstance(statement, Mapping) or not _statement_applies(statement, arn):
            continue
        effect = str(statement.get("Effect", "")).lower()
        if effect == "deny":
            return False
        allowed = allowed or effect == "allow"
    return allowed


def _statement_applies(statement: Mapping[str, Any], arn: str) -> bool:
    actions = _as_list(statement.get("Action"))
    resources = _as_list(statement.get("Resource"))
    return any(_wildcard(str(action)).match(INVOKE_ACTION) for action in actions) and any(
        _wildcard(str(resource)).match(arn) for resource in resources
    )


@cache
def _wildcard(pattern: str) -> re.Pattern[str]:
    """IAM wildcards: `*` any run of characters (including `/`), `?` exactly one; case-sensitive."""
    parts = (".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.compile("^" + "".join(parts) + "$", re.DOTALL)


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


class PolicyCache:
    """Authorizations by identity source for `ttl` seconds (0 disables caching, as in API Gateway)."""

    def __init__(self, ttl: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self._clock = clock
        self._entries: dict[str, tuple[float, Authorization]] = {}
        self._lock = threading.Lock()

    def get(self, identity: str) -> Authorization | None:
        with self._lock:
            entry = self._entries.get(identity)
            if entry is None:
                return None
            expires_at, authorization = entry
            if self._clock() >= expires_at:
                del self._entries[identity]
                return None
            return authorization

    def put(self, identity: str, authorization: Authorization) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            self._entries[identity] = (self._clock() + self.ttl, authorization)
