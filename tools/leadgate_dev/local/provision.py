"""Creates a stack's tables, queues and Cognito pool from template.yaml on any DynamoDB/SQS/Cognito endpoint.

Used by the `aws` test fixture (moto in-process), the local stack (DynamoDB Local + moto server) and the
admin CLI. Idempotent: on an existing database it reuses what is there, so a restarted local stack keeps
its data.
"""

from __future__ import annotations

import contextlib
import json
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
    queues: dict[str, str] = field(default_factory=dict)  # logical id (WebhookQueue, ...) -> queue URL
    queue_variables: dict[str, str] = field(default_factory=dict)  # env var (WEBHOOK_QUEUE_URL) -> queue URL

    def environment(self) -> dict[str, str]:
        """The settings environment that points the handlers at these resources."""
        return {
            **self.tables,
            **self.queue_variables,
            "USER_POOL_ID": self.user_pool_id,
            "SCOPE_PREFIX": self.resource_server,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "tables": dict(self.tables),
            "user_pool_id": self.user_pool_id,
            "resource_server": self.resource_server,
            "region": self.region,
            "scopes": list(self.scopes),
            "usage_plans": dict(self.usage_plans),
            "queues": dict(self.queues),
            "queue_variables": dict(self.queue_variables),
        }


def provision(
    *,
    dynamodb: Any,
    cognito: Any,
    stack: str = "local",
    apigateway: Any | None = None,
    sqs: Any | None = None,
    streams: bool = True,
) -> StackResources:
    """Every table (with GSIs, TTL and, unless `streams` is False, its stream), queue (with its dead-letter queue),
    the user pool with its resource server and the usage plans (API Gateway and SQS: by default on the endpoints
    boto3 is configured for), named after `stack`."""
    import boto3

    tables = {
        spec.env_var: _ensure_table(dynamodb, spec, f"{stack}-{spec.logical_id}", streams=streams)
        for spec in template.tables()
    }
    queues = _ensure_queues(sqs or boto3.client("sqs", region_name=dynamodb.meta.region_name), stack)
    server = template.resource_server()
    pool_id = _ensure_user_pool(cognito, f"{stack}-{USER_POOL_NAME}")
    _ensure_resource_server(cognito, pool_id, server.identifier, server.scopes)
    if apigateway is None:
        apigateway = boto3.client("apigateway", region_name=dynamodb.meta.region_name)
    usage_plans = ensure_usage_plans(apigateway, stack)
    return StackResources(
        tables=tables,
        user_pool_id=pool_id,
        resource_server=server.identifier,
        region=dynamodb.meta.region_name,
        scopes=tuple(server.scopes),
        usage_plans=usage_plans,
        queues=queues,
        queue_variables={
            spec.env_var: queues[spec.logical_id] for spec in template.queues() if spec.env_var is not None
        },
    )


def _ensure_queues(sqs: Any, stack: str) -> dict[str, str]:
    """The template's queues named `{stack}-{LogicalId}`, dead-letter queues first; logical id -> URL.

    CreateQueue is idempotent for equal attributes; an existing queue gets the template's attributes.
    """
    urls: dict[str, str] = {}
    for spec in template.queues():
        attributes = dict(spec.attributes)
        if spec.dead_letter_queue is not None:
            target = sqs.get_queue_attributes(QueueUrl=urls[spec.dead_letter_queue], AttributeNames=["QueueArn"])
            attributes["RedrivePolicy"] = json.dumps(
                {
                    "deadLetterTargetArn": target["Attributes"]["QueueArn"],
                    "maxReceiveCount": str(spec.max_receive_count),
                }
            )
        name = f"{stack}-{spec.logical_id}"
        if attributes.get("FifoQueue") == "true":
            name += ".fifo"  # SQS requires it of a FIFO queue's name, as CloudFormation's generated names have
        try:
            url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        except sqs.exceptions.QueueNameExists:
            url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
            sqs.set_queue_attributes(QueueUrl=url, Attributes=attributes)
        urls[spec.logical_id] = url
    return urls


def _ensure_table(dynamodb: Any, spec: Any, name: str, *, streams: bool = True) -> str:
    create_kwargs = dict(spec.create_kwargs)
    stream = create_kwargs.pop("StreamSpecification", None) if not streams else create_kwargs.get("StreamSpecification")
    with contextlib.suppress(dynamodb.exceptions.ResourceInUseException):  # a restarted stack keeps its data
        dynamodb.create_table(TableName=name, **create_kwargs)
    dynamodb.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60})
    if streams and stream and "LatestStreamArn" not in dynamodb.describe_table(TableName=name)["Table"]:
        dynamodb.update_table(TableName=name, StreamSpecification=stream)  # a table made before it had one
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
