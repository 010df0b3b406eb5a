"""Pipelines and stages in the workspace table: reads, and writes as ONE transaction conditional on the versions
read (optimistic locking, as for leads). The default pipeline's marker (`DEFAULT#pipeline`) names it and its
entry stage, so intake learns where a lead lands from one GetItem."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadgate import aws, dependencies
from leadgate.settings import get_settings
from leadgate.workspace import items, keys, objects
from leadgate.workspace.pipelines.records import Pipeline, Stage, pipeline_from, stage_from


class StaleWrite(Exception):
    """A condition of the transaction failed: another request changed (or created) what it writes."""


def _table() -> str:
    return get_settings().workspace_table


def _get(tenant_id: str, sk: str) -> dict[str, Any] | None:
    item = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=keys.key(keys.partition(tenant_id), sk), ConsistentRead=True)
        .get("Item")
    )
    return items.plain(item) if item else None


def get_pipeline(tenant_id: str, pipeline_id: int) -> Pipeline | None:
    found = _get(tenant_id, keys.object_sk(keys.PIPELINE, pipeline_id))
    return pipeline_from(found) if found else None


def get_stage(tenant_id: str, stage_id: int) -> Stage | None:
    found = _get(tenant_id, keys.object_sk(keys.STAGE, stage_id))
    return stage_from(found) if found else None


def default_marker(tenant_id: str) -> dict[str, Any] | None:
    """`{"pipeline_id", "entry_stage_id"?}` of the tenant's default pipeline, or None before its first use."""
    return _get(tenant_id, keys.default_sk(keys.PIPELINE))


def default_marker_key(tenant_id: str) -> dict[str, Any]:
    """The marker's key, for a caller that reads it with its own reads (intake's identity BatchGetItem)."""
    return keys.key(keys.partition(tenant_id), keys.default_sk(keys.PIPELINE))


def default_marker_in(tenant_id: str, read: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The marker among items read with `default_marker_key`, as `default_marker` answers; None if absent."""
    wanted = default_marker_key(tenant_id)
    found = next((item for item in read if item["pk"] == wanted["pk"] and item["sk"] == wanted["sk"]), None)
    return items.plain(found) if found else None


def all_pipelines(tenant_id: str) -> list[Pipeline]:
    """Every pipeline of the tenant, in position order (ONE Query: a tenant has hundreds at most)."""
    pipelines = [pipeline_from(found) for found in objects.all_of_kind(tenant_id, keys.PIPELINE)]
    return sorted(pipelines, key=lambda pipeline: (pipeline.position, pipeline.id))


def stages(tenant_id: str, stage_ids: Iterable[int]) -> dict[int, Stage]:
    """The stages of these ids that exist (BatchGetItem, 100 keys a call)."""
    wanted = sorted(set(stage_ids))
    found: dict[int, Stage] = {}
    for start in range(0, len(wanted), 100):
        request = {
            _table(): {
                "Keys": [keys.object_key(tenant_id, keys.STAGE, stage_id) for stage_id in wanted[start : start + 100]],
                "ConsistentRead": True,
            }
        }
        read, unread = dependencies.batch_get(aws.dynamodb(), request)
        if unread:
            raise dependencies.Unprocessed(f"{len(unread[_table()]['Keys'])} stage(s) left unread")
        for item in read.get(_table(), []):
            stage = stage_from(items.plain(item))
            found[stage.id] = stage
    return found


# ------------------------------------------------------------------ transaction entries


def put_pipeline(tenant_id: str, pipeline: Pipeline, *, expected_version: int | None) -> dict[str, Any]:
    item = {"pk": keys.partition(tenant_id), "sk": keys.object_sk(keys.PIPELINE, pipeline.id), **pipeline.attributes()}
    return {"Put": items.versioned({"TableName": _table(), "Item": items.to_item(item)}, expected_version)}


def put_stage(tenant_id: str, stage: Stage, *, expected_version: int | None) -> dict[str, Any]:
    item = {"pk": keys.partition(tenant_id), "sk": keys.object_sk(keys.STAGE, stage.id), **stage.attributes()}
    return {"Put": items.versioned({"TableName": _table(), "Item": items.to_item(item)}, expected_version)}


def delete_pipeline(tenant_id: str, pipeline: Pipeline) -> dict[str, Any]:
    entry = {"TableName": _table(), "Key": keys.object_key(tenant_id, keys.PIPELINE, pipeline.id)}
    return {"Delete": items.versioned(entry, pipeline.version)}


def delete_stage(tenant_id: str, stage: Stage) -> dict[str, Any]:
    entry = {"TableName": _table(), "Key": keys.object_key(tenant_id, keys.STAGE, stage.id)}
    return {"Delete": items.versioned(entry, stage.version)}


def put_default_marker(
    tenant_id: str, pipeline_id: int, entry_stage_id: int | None, *, first: bool = False
) -> dict[str, Any]:
    """The marker naming the default pipeline and its entry stage; `first`: only if there is none yet (the race
    between two first uses has one winner)."""
    item = {
        "pk": keys.partition(tenant_id),
        "sk": keys.default_sk(keys.PIPELINE),
        "pipeline_id": pipeline_id,
        "entry_stage_id": entry_stage_id,
    }
    put: dict[str, Any] = {"TableName": _table(), "Item": items.to_item(item)}
    if first:
        put["ConditionExpression"] = "attribute_not_exists(pk)"
    else:
        put["ConditionExpression"] = "pipeline_id = :pipeline"
        put["ExpressionAttributeValues"] = {":pipeline": {"N": str(pipeline_id)}}
    return {"Put": put}


def delete_default_marker(tenant_id: str, pipeline_id: int) -> dict[str, Any]:
    return {
        "Delete": {
            "TableName": _table(),
            "Key": keys.key(keys.partition(tenant_id), keys.default_sk(keys.PIPELINE)),
            "ConditionExpression": "pipeline_id = :pipeline",
            "ExpressionAttributeValues": {":pipeline": {"N": str(pipeline_id)}},
        }
    }


def commit(entries: Sequence[dict[str, Any]]) -> None:
    """ONE TransactWriteItems (idempotent for the SDK's retries); `StaleWrite` when a condition failed."""
    try:
        aws.dynamodb().transact_write_items(TransactItems=list(entries), ClientRequestToken=str(uuid.uuid4()))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = {reason.get("Code") for reason in error.response.get("CancellationReasons") or []}
        if reasons - {"None", "ConditionalCheckFailed", "TransactionConflict"}:
            raise
        raise StaleWrite() from error
