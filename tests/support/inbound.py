"""Driving the inbound function with API Gateway events on moto, and looking at what it wrote."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import boto3

from leadgate.settings import get_settings
from leadgate_dev import harness
from leadgate_dev.harness import Reply
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event


def call(event: dict[str, Any], function: str | ModuleType = "inbound") -> Reply:
    return harness.call(function, event)


def post(
    path: str,
    body: Any,
    *,
    tenant: str = "acme",
    client_id: str | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A POST event as API Gateway hands it over after our authorizer allowed it."""
    return rest_event(
        "POST",
        path,
        query=query,
        headers=headers,
        body=body,
        authorizer=caller_context(tenant=tenant, client_id=client_id or f"client-{tenant}", scopes=("write:leads",)),
    )


def inbound(body: Any, *, tenant: str = "acme", **kwargs: Any) -> dict[str, Any]:
    query = {"tenant": tenant, **kwargs.pop("query", {})}
    return post("/api/inbound/leads", body, tenant=tenant, query=query, **kwargs)


def hotlead(body: Any, *, tenant: str = "1024", **kwargs: Any) -> dict[str, Any]:
    return post("/public/api/leads", body, tenant=tenant, **kwargs)


def upsert(body: Any, **kwargs: Any) -> dict[str, Any]:
    return post("/api/v1/leads/upsert", body, **kwargs)


def batch(body: Any, **kwargs: Any) -> dict[str, Any]:
    return post("/api/v1/leads/batch", body, **kwargs)


def get_lead(lead_id: str, tenant: str = "acme") -> Reply:
    event = rest_event(
        "GET",
        f"/api/v1/leads/{lead_id}",
        resource="/api/v1/leads/{id}",
        path_parameters={"id": lead_id},
        authorizer=caller_context(tenant=tenant, client_id=f"client-{tenant}"),
    )
    return call(event, "leads")


def lookup(tenant: str = "acme", **query: str) -> Reply:
    """GET /api/v1/leads/lookup (the leads function): the lead owning an email or phone."""
    event = rest_event(
        "GET",
        "/api/v1/leads/lookup",
        query=query,
        authorizer=caller_context(tenant=tenant, client_id=f"client-{tenant}"),
    )
    return call(event, "leads")


def inquiries(lead_id: str, tenant: str = "acme") -> list[dict[str, Any]]:
    event = rest_event(
        "GET",
        f"/api/v1/leads/{lead_id}/inquiries",
        resource="/api/v1/leads/{id}/inquiries",
        path_parameters={"id": lead_id},
        query={"per_page": "100"},
        authorizer=caller_context(tenant=tenant, client_id=f"client-{tenant}"),
    )
    reply = call(event, "leads")
    assert reply.status == 200, reply.body
    return reply.body["data"]


def items(tenant: str) -> dict[str, dict[str, Any]]:
    """Every item of a tenant's partition, by sort key (test-side inspection, not a request path)."""
    client = boto3.client("dynamodb")
    found: dict[str, dict[str, Any]] = {}
    kwargs: dict[str, Any] = {
        "TableName": get_settings().leads_table,
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": {":pk": {"S": f"T#{tenant}"}},
        "ConsistentRead": True,
    }
    while True:
        page = client.query(**kwargs)
        found.update({item["SK"]["S"]: item for item in page["Items"]})
        if "LastEvaluatedKey" not in page:
            return found
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def kinds(tenant: str) -> dict[str, int]:
    """How many items of each kind (LEAD, EMAIL, PHONE, INQ, ...) the tenant has."""
    counts: dict[str, int] = {}
    for sk in items(tenant):
        kind = sk.split("#", 1)[0]
        counts[kind] = counts.get(kind, 0) + 1
    return counts


def lead_ids(tenant: str) -> list[str]:
    return [sk.removeprefix("LEAD#") for sk in items(tenant) if sk.startswith("LEAD#")]
