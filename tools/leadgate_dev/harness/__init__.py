"""The one way the tests and the benchmarks call a handler: `functions/<name>/app.py` loaded as Lambda loads
it, invoked with a fresh deadline; the one reply type and the one authorizer context.

`handle` invokes a handler with any event and returns what it returns (authorizer, queue, sync events);
`call` sends a REST proxy event (leadgate_dev.harness.events.rest_event) and reads the answer as API Gateway
and the client would: the body must be UTF-8 (else API Gateway answers 502), and `headers` and
`multiValueHeaders` are merged, the multi-value ones winning a name both have.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from leadgate_dev.harness.events import lambda_context
from leadgate_dev.harness.functions import instance

DEFAULT_SCOPES = ("read:leads", "write:leads", "delete:leads")
# Lambda's maximum: the harness's callers are not about the deadline (tests/integration/
# test_dependency_failures.py is), and a loaded machine must not turn a slow request into a 503.
BUDGET_MS = 15 * 60 * 1000


class Headers(dict[str, str]):
    """Response headers, looked up case-insensitively (HTTP header names are)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        super().__init__((name.lower(), value) for name, value in pairs)

    def __getitem__(self, name: str) -> str:
        return super().__getitem__(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and super().__contains__(name.lower())

    def get(self, name: str, default: Any = None) -> Any:  # type: ignore[override]
        return super().get(name.lower(), default)


@dataclass(frozen=True)
class Reply:
    status: int
    headers: Headers
    body: Any  # the parsed JSON, the text when it is not JSON, None when empty
    raw_body: str

    @property
    def data(self) -> Any:
        return self.body["data"]


def reply_of(response: Mapping[str, Any]) -> Reply:
    """A Lambda proxy response as the client sees it."""
    raw = response.get("body") or ""
    raw.encode("utf-8")  # strict: a body that cannot be encoded is API Gateway's 502
    headers = Headers((response.get("headers") or {}).items())
    for name, values in (response.get("multiValueHeaders") or {}).items():
        if values:
            headers[name.lower()] = ", ".join(values)
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = raw
    return Reply(response["statusCode"], headers, body, raw)


def handle(function: str | ModuleType, event: Mapping[str, Any], *, budget_ms: int = BUDGET_MS) -> Any:
    """One invocation of the function's handler with `event`, with a fresh deadline; what the handler returns
    (an authorizer's policy, a queue batch's failures, a sync run's record, a proxy response)."""
    module = instance(function) if isinstance(function, str) else function
    name = function if isinstance(function, str) else module.__name__
    return module.lambda_handler(dict(event), lambda_context(name, "harness", timeout_ms=budget_ms))


def call(function: str | ModuleType, event: Mapping[str, Any], *, budget_ms: int = BUDGET_MS) -> Reply:
    """One invocation with a REST proxy event, its response read as the client sees it."""
    return reply_of(handle(function, event, budget_ms=budget_ms))


def authorizer_context(
    tenant: str = "acme",
    scopes: Iterable[str] = DEFAULT_SCOPES,
    client_id: str | None = None,
    tier: str = "standard",
    rate_policies: str = "[]",
) -> dict[str, str]:
    """The context our authorizer hands the handlers (leadgate.auth.authorizer), for `rest_event(authorizer=)`."""
    client_id = client_id or f"client-{tenant}"
    return {
        "principalId": client_id,
        "tenant_id": tenant,
        "client_id": client_id,
        "scopes": " ".join(scopes),
        "tier": tier,
        "rate_policies": rate_policies,
    }
