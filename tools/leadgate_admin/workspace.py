"""The workspace for operators (docs/workspace.md): a tenant's pipelines with their stages and lead counts, and
its users with their open leads (`leadgate pipelines list`, `leadgate users list`); the counts' backfill job
(`leadgate workspace backfill`).

Read-only and through the target's own DynamoDB client: a listing makes nothing (not even the default pipeline,
which the API makes on first use). The keys and records are the layer's (`leadgate.workspace`).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadgate.workspace import counts, items, keys
from leadgate.workspace.pipelines.records import pipeline_from, stage_from
from leadgate.workspace.users import assignments


@dataclass(frozen=True)
class WorkspaceAdmin:
    dynamodb: Any
    table: str

    def pipelines(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's pipelines in position order, each with its stages in order and their lead counts."""
        pipelines = sorted(
            (pipeline_from(found) for found in self._objects(tenant, keys.PIPELINE)),
            key=lambda pipeline: (pipeline.position, pipeline.id),
        )
        stages = {stage.id: stage for stage in map(stage_from, self._objects(tenant, keys.STAGE))}
        lead_counts = self._counts(tenant, keys.STAGE)
        return [pipeline.record(stages, lead_counts) for pipeline in pipelines]

    def users(self, tenant: str) -> list[dict[str, Any]]:
        """The tenant's users in id order, as the API shows them (with `open_lead_count`)."""
        open_leads = self._counts(tenant, keys.USER, less=assignments.CLOSED)  # leads in won/lost stages
        fields = ("id", "name", "email", "role", "active")
        return [
            {
                **{name: user[name] for name in fields},
                "open_lead_count": open_leads.get(user["id"], 0),
                "created_at": user["created_at"],
                "updated_at": user["updated_at"],
            }
            for user in sorted(self._objects(tenant, keys.USER), key=lambda user: user["id"])
        ]

    def _objects(self, tenant: str, kind: str) -> list[dict[str, Any]]:
        return [items.plain(item) for item in self._query(keys.partition(tenant), keys.object_prefix(kind))]

    def _counts(self, tenant: str, kind: str, less: str | None = None) -> dict[int, int]:
        """Each id's count, less the sub-count `less` of its shards when given."""
        totals: Counter[int] = Counter()
        for item in map(items.plain, self._query(keys.counts_partition(tenant, kind))):
            totals[keys.id_of(item["sk"])] += item.get(counts.COUNT, 0) - (item.get(less, 0) if less else 0)
        return dict(totals)

    def _query(self, pk: str, prefix: str | None = None) -> list[dict[str, Any]]:
        condition = "pk = :pk" + (" AND begins_with(sk, :prefix)" if prefix else "")
        values = {":pk": {"S": pk}, **({":prefix": {"S": prefix}} if prefix else {})}
        pages = self.dynamodb.get_paginator("query").paginate(
            TableName=self.table, KeyConditionExpression=condition, ExpressionAttributeValues=values
        )
        return [item for page in pages for item in page.get("Items", [])]


def queue_backfill(environment: Mapping[str, str], tenant_id: str) -> dict[str, Any]:
    """Queues the job that brings the tenant's leads from before the workspace into its tag and user counts
    (leadgate.workspace.backfill), through leadgate's own code against the target's tables and jobs queue; the
    job as `GET /api/v1/jobs/{id}` shows it."""
    from leadgate import aws

    os.environ.update(environment)
    aws.reset_clients()
    from leadgate.workspace import backfill

    return backfill.start(tenant_id).record()
