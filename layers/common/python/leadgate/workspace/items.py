"""Workspace records <-> DynamoDB items: plain values in, plain values out (numbers as int), so the services never
see attribute-value maps."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values (None left out) as DynamoDB attribute values."""
    return {name: _serializer.serialize(value) for name, value in attributes.items() if value is not None}


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's attributes as plain values; whole numbers as int."""
    return {name: _number(_deserializer.deserialize(value)) for name, value in item.items()}


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_number(entry) for entry in value]
    if isinstance(value, dict):
        return {key: _number(entry) for key, entry in value.items()}
    return value


def versioned(entry: dict[str, Any], expected_version: int | None) -> dict[str, Any]:
    """A transaction entry guarded by the record's version: absent when None (a creation), else unchanged since
    read (optimistic locking, the records' ETag)."""
    if expected_version is None:
        entry["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        entry["ConditionExpression"] = "version = :version"
        entry["ExpressionAttributeValues"] = {":version": {"N": str(expected_version)}}
    return entry
