"""The operators' view of a tenant's workspace (docs/workspace.md): `leadgate users list --tenant T`.

Reads the workspace table with the target's own client: ONE Query for the tenant's users and ONE for their
count shards (a tenant has hundreds of users at most), the same items and keys the API reads
(`leadgate.workspace.keys`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from leadgate.workspace import items, keys


@dataclass(frozen=True)
class WorkspaceAdmin:
    dynamodb: Any
    table: str

    def users(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's users in id order, as the API shows them (with `open_lead_count`)."""
        open_leads: Counter[int] = Counter()
        for item in self._query(keys.counts_partition(tenant, keys.USER)):
            open_leads[keys.id_of(item["sk"])] += item.get("n", 0)
        return [
            {
                "id": user["id"],
                "name": user["name"],
                "email": user["email"],
                "role": user["role"],
                "active": user["active"],
                "open_lead_count": open_leads[user["id"]],
                "created_at": user["created_at"],
                "updated_at": user["updated_at"],
            }
            for user in self._query(keys.partition(tenant), keys.object_prefix(keys.USER))
        ]

    def _query(self, pk: str, prefix: str | None = None) -> Iterator[dict[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": pk}},
        }
        if prefix is not None:
            query["KeyConditionExpression"] += " AND begins_with(sk, :prefix)"
            query["ExpressionAttributeValues"][":prefix"] = {"S": prefix}
        while True:
            page = self.dynamodb.query(**query)
            yield from (items.plain(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return
            query["ExclusiveStartKey"] = page["LastEvaluatedKey"]
