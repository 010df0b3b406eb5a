"""Counts what a piece of code asks of DynamoDB: calls by operation, items read and items written.

Hooks botocore's events on the client `leadgate.aws.dynamodb()` returns, so the benchmarks and the
cost tests measure the real calls the domain makes, not a model of them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from leadgate import aws


@dataclass
class DynamoMeter:
    calls: Counter[str] = field(default_factory=Counter)
    items_read: int = 0
    items_written: int = 0

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def record(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        self.calls[operation] += 1
        self.items_read += _items_read(operation, parsed)
        self.items_written += _items_written(operation, params, parsed)

    def summary(self) -> str:
        calls = ", ".join(f"{name} {count}" for name, count in sorted(self.calls.items()))
        return f"{self.total_calls} calls ({calls}), {self.items_read} read, {self.items_written} written"


def _items_read(operation: str, parsed: dict[str, Any]) -> int:
    if operation == "GetItem":
        return 1
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", 0))
    if operation == "BatchGetItem":
        return sum(len(items) for items in parsed.get("Responses", {}).values())
    if operation == "TransactGetItems":
        return len(parsed.get("Responses", []))
    return 0


def _items_written(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> int:
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 0 if parsed.get("Error") else 1
    if operation == "TransactWriteItems":
        return sum(1 for item in params.get("TransactItems", []) if "ConditionCheck" not in item)
    if operation == "BatchWriteItem":
        unprocessed = sum(len(requests) for requests in parsed.get("UnprocessedItems", {}).values())
        return sum(len(requests) for requests in params.get("RequestItems", {}).values()) - unprocessed
    return 0


@contextmanager
def metered_dynamodb(client: Any | None = None) -> Iterator[DynamoMeter]:
    """Meter every call on the DynamoDB client (by default the one the domain uses) inside the block."""
    client = client or aws.dynamodb()
    meter = DynamoMeter()

    def remember_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        context["leadgate_params"] = params

    def after(model: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
        meter.record(model.name, context.get("leadgate_params", {}), parsed)

    events = client.meta.events
    events.register("provide-client-params.dynamodb", remember_params, unique_id="leadgate-meter-params")
    events.register("after-call.dynamodb", after, unique_id="leadgate-meter-after")
    try:
        yield meter
    finally:
        events.unregister("provide-client-params.dynamodb", unique_id="leadgate-meter-params")
        events.unregister("after-call.dynamodb", unique_id="leadgate-meter-after")
