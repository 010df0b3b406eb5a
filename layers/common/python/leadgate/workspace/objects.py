"""Every object of one kind in a tenant's workspace (pipelines, users, forms): ONE Query of the tenant's
partition by the kind's key prefix, read to the end in pages of 1 MB. A tenant holds hundreds of each at most
(docs/workspace.md), so callers sort and filter what this returns in memory."""

from __future__ import annotations

from typing import Any

from leadgate import aws
from leadgate.settings import get_settings
from leadgate.workspace import items, keys


def all_of_kind(tenant_id: str, kind: str) -> list[dict[str, Any]]:
    """The tenant's objects of `kind` as plain attributes, in key (id) order."""
    query: dict[str, Any] = {
        "TableName": get_settings().workspace_table,
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
        "ExpressionAttributeValues": {
            ":pk": {"S": keys.partition(tenant_id)},
            ":prefix": {"S": keys.object_prefix(kind)},
        },
    }
    found: list[dict[str, Any]] = []
    while True:
        page = aws.dynamodb().query(**query)
        found.extend(items.plain(item) for item in page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return found
        query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
