"""The connections table: one item per connection, keyed by `connection_id`, listed per tenant on the
`by_tenant` index (`tenant_id`, `connection_id`: ULIDs, so a tenant's connections list in creation order).

Reads on the receiver's hot path go through `get()`, which keeps each connection for `CACHE_SECONDS` per
process (a disabled connection is refused within that time everywhere; `fresh=True` reads through).
Writes are admin paths (the CLI) and the sync runs' status fields; each is one conditional write.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadgate import aws, clock, errors
from leadgate.connections.models import Connection
from leadgate.settings import get_settings
from leadgate.ttlcache import TTLCache

TENANT_INDEX = "by_tenant"
CACHE_SECONDS = 60.0
MAX_PAGE_SIZE = 100
# Fields an admin or a sync run may change after creation (`set_fields`).
SETTABLE_FIELDS = frozenset(
    {"settings", "base_url", "secret_arn", "secret_fields", "sync_every", "sync_disabled_reason"}
)


def _at_version(version: int) -> str:
    """The item is still at `version` (`:version`); items written before versions existed are at version 1."""
    if version == 1:
        return "attribute_exists(connection_id) AND (attribute_not_exists(#version) OR #version = :version)"
    return "attribute_exists(connection_id) AND #version = :version"


class UnknownConnection(LookupError):
    """No connection has this id (or it belongs to another tenant)."""


def stale(current: Connection) -> errors.PreconditionFailed:
    return errors.PreconditionFailed(f"The connection's ETag is {current.etag}.", etag=current.etag)


@dataclass(frozen=True)
class ConnectionPage:
    connections: list[Connection]
    last_key: str | None  # the last connection_id of this page when there may be more, else None


def _serializer() -> tuple[Any, Any]:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

    return TypeSerializer(), TypeDeserializer()


def to_item(connection: Connection) -> dict[str, Any]:
    serializer, _ = _serializer()
    plain = connection.model_dump(mode="json", exclude_none=True)
    return {name: serializer.serialize(value) for name, value in plain.items()}


def from_item(item: Mapping[str, Any]) -> Connection:
    _, deserializer = _serializer()
    return Connection.model_validate({name: deserializer.deserialize(value) for name, value in item.items()})


_cache: TTLCache[Connection | None] = TTLCache(CACHE_SECONDS)


class ConnectionRegistry:
    """The registry on an explicit DynamoDB client and table, so the admin CLI can point it at any stack."""

    def __init__(self, *, dynamodb: Any, table: str, cache: TTLCache[Connection | None] | None = None) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.cache = cache if cache is not None else TTLCache(CACHE_SECONDS)

    @classmethod
    def from_settings(cls) -> ConnectionRegistry:
        """The functions' registry: the process-wide cache, so warm invocations skip DynamoDB."""
        return cls(dynamodb=aws.dynamodb(), table=get_settings().connections_table, cache=_cache)

    def get(self, connection_id: str, *, fresh: bool = False) -> Connection | None:
        """The connection, or None. Cached for the cache's ttl (unknown ids too, so a flood of bad ids costs one
        read per id and minute); `fresh=True` reads consistently and refreshes the cache."""
        if not fresh:
            hit, cached = self.cache.get(connection_id)
            if hit:
                return cached
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"connection_id": {"S": connection_id}}, ConsistentRead=fresh
        ).get("Item")
        connection = from_item(item) if item else None
        self.cache.put(connection_id, connection)
        return connection

    def get_for_tenant(self, tenant_id: str, connection_id: str) -> Connection:
        """The tenant's connection; another tenant's is as unknown as a missing one."""
        connection = self.get(connection_id, fresh=True)
        if connection is None or connection.tenant_id != tenant_id:
            raise UnknownConnection(connection_id)
        return connection

    def list_for_tenant(self, tenant_id: str, *, limit: int = 25, after: str | None = None) -> ConnectionPage:
        """One Query on the tenant index, `limit` connections after the connection id `after`."""
        limit = max(1, min(limit, MAX_PAGE_SIZE))
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": TENANT_INDEX,
            "KeyConditionExpression": "tenant_id = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "Limit": limit,
        }
        if after:
            kwargs["ExclusiveStartKey"] = {"tenant_id": {"S": tenant_id}, "connection_id": {"S": after}}
        answer = self.dynamodb.query(**kwargs)
        connections = [from_item(item) for item in answer.get("Items", [])]
        last = answer.get("LastEvaluatedKey")
        return ConnectionPage(connections, last["connection_id"]["S"] if last else None)

    def list_all(self, tenant_id: str | None = None) -> list[Connection]:
        """Every connection of a tenant, or of every tenant (a Scan: the admin CLI only, never a request path)."""
        if tenant_id is not None:
            connections: list[Connection] = []
            after = None
            while True:
                page = self.list_for_tenant(tenant_id, limit=MAX_PAGE_SIZE, after=after)
                connections += page.connections
                if page.last_key is None:
                    return connections
                after = page.last_key
        pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table)
        found = [from_item(item) for page in pages for item in page.get("Items", [])]
        return sorted(found, key=lambda connection: (connection.tenant_id, connection.connection_id))

    def put(self, connection: Connection) -> Connection:
        """Stores a new connection; an existing id is never overwritten."""
        self.dynamodb.put_item(
            TableName=self.table, Item=to_item(connection), ConditionExpression="attribute_not_exists(connection_id)"
        )
        self.cache.forget(connection.connection_id)
        return connection

    def disable(self, connection_id: str) -> Connection:
        """Disables a connection: the receiver refuses it within the cache time, sync runs stop."""
        return self._update(
            connection_id,
            "SET enabled = :false, disabled_at = if_not_exists(disabled_at, :now), "
            "#version = if_not_exists(#version, :one) + :one",
            {":false": {"BOOL": False}, ":now": {"S": clock.iso(clock.now())}, ":one": {"N": "1"}},
            {"#version": "version"},
        )

    def set_fields(self, connection_id: str, *, expected_version: int | None = None, **fields: Any) -> Connection:
        """Changes settable fields (None removes one), validated as a whole before the write, and bumps the
        version; with `expected_version`, only if the connection is still at it (else `PreconditionFailed`)."""
        unknown = set(fields) - SETTABLE_FIELDS
        if unknown:
            raise ValueError(f"not settable: {', '.join(sorted(unknown))}")
        current = self.get(connection_id, fresh=True)
        if current is None:
            raise UnknownConnection(connection_id)
        version = current.version if expected_version is None else expected_version
        if version != current.version:
            raise stale(current)
        changed = Connection.model_validate({**current.model_dump(), **fields})  # validation errors raise here
        serializer, _ = _serializer()
        plain = changed.model_dump(mode="json", include=set(fields))
        to_set = {name: value for name, value in plain.items() if value is not None}
        to_remove = [name for name, value in plain.items() if value is None]
        names = {f"#{name}": name for name in fields} | {"#version": "version"}
        values = {f":{name}": serializer.serialize(value) for name, value in to_set.items()}
        values |= {":version": {"N": str(version)}, ":next": {"N": str(version + 1)}}
        assignments = [f"#{name} = :{name}" for name in to_set] + ["#version = :next"]
        expression = "SET " + ", ".join(assignments)
        if to_remove:
            expression += " REMOVE " + ", ".join(f"#{name}" for name in to_remove)
        try:
            return self._update(connection_id, expression, values, names, condition=_at_version(version))
        except UnknownConnection:
            latest = self.get(connection_id, fresh=True)
            if latest is None:
                raise
            raise stale(latest) from None

    def delete(self, connection_id: str, *, expected_version: int) -> None:
        """Deletes the connection's item if it is still at `expected_version` (else `PreconditionFailed`)."""
        try:
            self.dynamodb.delete_item(
                TableName=self.table,
                Key={"connection_id": {"S": connection_id}},
                ConditionExpression=_at_version(expected_version),
                ExpressionAttributeNames={"#version": "version"},
                ExpressionAttributeValues={":version": {"N": str(expected_version)}},
            )
        except self.dynamodb.exceptions.ConditionalCheckFailedException:
            latest = self.get(connection_id, fresh=True)
            if latest is None:
                raise UnknownConnection(connection_id) from None
            raise stale(latest) from None
        finally:
            self.cache.forget(connection_id)

    def _update(
        self,
        connection_id: str,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
        *,
        condition: str = "attribute_exists(connection_id)",
    ) -> Connection:
        try:
            item = self.dynamodb.update_item(
                TableName=self.table,
                Key={"connection_id": {"S": connection_id}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
                **({"ExpressionAttributeNames": names} if names else {}),
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self.dynamodb.exceptions.ConditionalCheckFailedException as exc:
            raise UnknownConnection(connection_id) from exc
        self.cache.forget(connection_id)
        return from_item(item)


def get_connection(connection_id: str, *, fresh: bool = False) -> Connection | None:
    """The receiver's read: cached per process for `CACHE_SECONDS`."""
    return ConnectionRegistry.from_settings().get(connection_id, fresh=fresh)


def clear_cache() -> None:
    """Forget every cached connection (tests)."""
    _cache.clear()
