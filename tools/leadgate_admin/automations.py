"""Automations for operators (docs/automations.md): an automation's recent runs, newest first
(`leadgate automations runs ID --tenant T`).

Read-only and through the target's own DynamoDB client; the keys and records are the layer's
(`leadgate.automations.runs`), so what the CLI shows is what `GET /api/v1/automations/{id}/runs` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadgate.automations import runs
from leadgate.workspace import items


@dataclass(frozen=True)
class AutomationsAdmin:
    dynamodb: Any
    table: str

    def runs(self, tenant: str, automation_id: int, limit: int) -> list[dict[str, Any]]:
        query: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": runs.partition(tenant, automation_id)},
                ":prefix": {"S": runs.PREFIX},
            },
            "ScanIndexForward": False,
            "Limit": limit,
        }
        answer = self.dynamodb.query(**query)
        return [runs.run_from(tenant, automation_id, items.plain(item)).record() for item in answer.get("Items", [])]
