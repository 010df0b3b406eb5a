"""Counts what a piece of code asks of DynamoDB: calls by operation, items read and items written.

Hooks botocore's events on the client `leadgate.aws.dynamodb()` returns, so the benchmarks and the
cost tests measure the real calls the domain makes, not a model of them. Each figure is also kept per
table (`meter.table(name)`), so a request's leads-table cost and its rate-limit cost can be told apart.

Items read: GetItem 1 and BatchGetItem/TransactGetItems one per key asked (DynamoDB charges a read for a
key that is missing as for one that is there), Query and Scan their ScannedCount. Items written: what a
successful write call put, updated or deleted (a failed condition or a cancelled transaction writes none).
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
    tables: dict[str, DynamoMeter] = field(default_factory=dict)  # the same figures per table touched

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def table(self, name: str) -> DynamoMeter:
        """What the calls asked of one table (a call touching two tables counts once on each)."""
        return self.tables.get(name) or DynamoMeter()

    def record(self, operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> None:
        self.calls[operation] += 1
        self.items_read += _items_read(operation, params, parsed)
        self.items_written += _items_written(operation, params, parsed)
        for name, (read, written) in _per_table(operation, params, parsed).items():
            share = self.tables.setdefault(name, DynamoMeter())
            share.calls[operation] += 1
            share.items_read += read
            share.items_written += written

    def summary(self) -> str:
        calls = ", ".join(f"{name} {count}" for name, count in sorted(self.calls.items()))
        return f"{self.total_calls} calls ({calls}), {self.items_read} read, {self.items_written} written"


def _items_read(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> int:
    if operation == "GetItem":
        return 1
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", 0))
    if operation == "BatchGetItem":
        return sum(_keys_read(params, parsed, table) for table in params.get("RequestItems", {}))
    if operation == "TransactGetItems":
        return 0 if parsed.get("Error") else len(params.get("TransactItems", []))
    return 0


def _keys_read(params: dict[str, Any], parsed: dict[str, Any], table: str) -> int:
    """Keys of one table a BatchGetItem asked for, less those DynamoDB left unprocessed."""
    if parsed.get("Error"):
        return 0
    asked = len(params.get("RequestItems", {}).get(table, {}).get("Keys", []))
    return asked - len(parsed.get("UnprocessedKeys", {}).get(table, {}).get("Keys", []))


def _items_written(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> int:
    if parsed.get("Error"):  # a failed write (condition, cancelled transaction) writes nothing
        return 0
    if operation in ("PutItem", "UpdateItem", "DeleteItem"):
        return 1
    if operation == "TransactWriteItems":
        return sum(1 for item in params.get("TransactItems", []) if "ConditionCheck" not in item)
    if operation == "BatchWriteItem":
        unprocessed = sum(len(requests) for requests in parsed.get("UnprocessedItems", {}).values())
        return sum(len(requests) for requests in params.get("RequestItems", {}).values()) - unprocessed
    return 0


def _per_table(operation: str, params: dict[str, Any], parsed: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(items read, items written) per table a call touched."""
    if "TableName" in params:
        return {
            params["TableName"]: (_items_read(operation, params, parsed), _items_written(operation, params, parsed))
        }
    shares: dict[str, tuple[int, int]] = {}

    def add(table: str, read: int = 0, written: int = 0) -> None:
        before = shares.get(table, (0, 0))
        shares[table] = (before[0] + read, before[1] + written)

    if operation == "BatchGetItem":
        for table in params.get("RequestItems", {}):
            add(table, read=_keys_read(params, parsed, table))
    elif operation == "BatchWriteItem":
        unprocessed = parsed.get("UnprocessedItems", {})
        for table, requests in params.get("RequestItems", {}).items():
            add(table, written=len(requests) - len(unprocessed.get(table, [])))
    elif operation in ("TransactWriteItems", "TransactGetItems"):
        succeeded = not parsed.get("Error")
        for entry in params.get("TransactItems", []):
            ((kind, request),) = entry.items()
            if operation == "TransactGetItems":
                add(request["TableName"], read=int(succeeded))
            else:
                add(request["TableName"], written=int(kind != "ConditionCheck" and succeeded))
    return shares


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
