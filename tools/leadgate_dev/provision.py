"""Creates a stack's tables and Cognito pool from template.yaml on any DynamoDB/Cognito endpoint.

Used by the `aws` test fixture (moto in-process), the local stack (DynamoDB Local + moto server) and the
admin CLI. Idempotent: on an existing database it reuses what is there, so a restarted local stack keeps
its data.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from leadgate_dev import template
from leadgate_dev.local.usage_plans import ensure_usage_plans

USER_POOL_NAME = "leadgate"


@dataclass(frozen=True)
class StackResources:
    """What a provisioned stack is made of, as the handlers' settings name it."""

    tables: dict[str, str]  # env var (LEADS_TABLE, ...) -> table name
    user_pool_id: str
    resource_server: str
    region: str
    scopes: tuple[str, ...] = field(default=())
    usage_plans: dict[str, str] = field(default_factory=dict)  # tier -> API Gateway usage plan id

    def environment(self) -> dict[str, str]:
        """The settings environment that points the handlers at these resources."""
        return {**self.tables, "USER_POOL_ID": self.user_pool_id, "SCOPE_PREFIX": self.resource_server}

    def to_json(self) -> dict[str, Any]:
        return {
            "tables": dict(self.tables),
            "user_pool_id": self.user_pool_id,
            "resource_server": self.resource_server,
            "region": self.region,
            "scopes": list(self.scopes),
            "usage_plans": dict(self.usage_plans),
        }


def provision(*, dynamodb: Any, cognito: Any, stack: str = "local", apigateway: Any | None = None) -> StackResources:
    """Every table (with GSIs and TTL), the user pool with its resource server and the usage plans (API
    Gateway; by default on the endpoint boto3 is configured for), named after `stack`."""
    tables = {spec.env_var: _ensure_table(dynamodb, spec, f"{stack}-{spec.logical_id}") for spec in template.tables()}
    server = template.resource_server()
    pool_id = _ensure_user_pool(cognito, f"{stack}-{USER_POOL_NAME}")
    _ensure_resource_server(cognito, pool_id, server.identifier, server.scopes)
    if apigateway is None:
        import boto3

        apigateway = boto3.client("apigateway", region_name=dynamodb.meta.region_name)
    usage_plans = ensure_usage_plans(apigateway, stack)
    return StackResources(
        tables=tables,
        user_pool_id=pool_id,
        resource_server=server.identifier,
        region=dynamodb.meta.region_name,
        scopes=tuple(server.scopes),
        usage_plans=usage_plans,
    )


def _ensure_table(dynamodb: Any, spec: Any, name: str) -> str:
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):  # a restarted stack keeps its data
        dynamodb.create_table(TableName=name, **spec.create_kwargs)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    if spec.ttl_attribute:
        _ensure_ttl(dynamodb, name, spec.ttl_attribute)
    return name


def _ensure_ttl(dynamodb: Any, table: str, attribute: str) -> None:
    current = dynamodb.describe_time_to_live(TableName=table).get("TimeToLiveDescription", {})
    if current.get("TimeToLiveStatus") in ("ENABLED", "ENABLING") and current.get("AttributeName") == attribute:
        return
    dynamodb.update_time_to_live(TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": attribute})


def _ensure_user_pool(cognito: Any, name: str) -> str:
    for page in cognito.get_paginator("list_user_pools").paginate(MaxResults=60):
        for pool in page["UserPools"]:
            if pool["Name"] == name:
                return pool["Id"]
    return cognito.create_user_pool(PoolName=name)["UserPool"]["Id"]


def _ensure_resource_server(cognito: Any, pool_id: str, identifier: str, scopes: tuple[str, ...]) -> None:
    wanted = [{"ScopeName": scope, "ScopeDescription": scope} for scope in scopes]
    try:
        existing = cognito.describe_resource_server(UserPoolId=pool_id, Identifier=identifier)["ResourceServer"]
    except cognito.exceptions.ResourceNotFoundException:
        cognito.create_resource_server(UserPoolId=pool_id, Identifier=identifier, Name=identifier, Scopes=wanted)
        return
    if {scope["ScopeName"] for scope in existing.get("Scopes", [])} != set(scopes):
        cognito.update_resource_server(UserPoolId=pool_id, Identifier=identifier, Name=identifier, Scopes=wanted)
