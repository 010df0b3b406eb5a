"""Where a lead sits: the pipeline and stage a lead write names must be real (docs/workspace.md, "A lead's
stage is real").

Every lead write (the leads API, intake: upsert, batch, inbound, webhooks, sync) passes its new values through
`place` before the repository writes them. A stage named (changed, or on a new lead) must be an existing,
unarchived stage of an unarchived pipeline in the tenant, and of the `pipeline_id` if one is given too; the stage
alone implies its pipeline. A pipeline named without a stage places the lead in its entry stage (the first open,
unarchived one); a new lead that names neither lands in the default pipeline's entry stage, which is made on
first use (also when a new tenant's first lead names it, as LeadHub's example does). Anything else is 422
naming the field. Values a lead already holds are not checked again, so leads holding string ids from before
stay readable and writable.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadgate import errors
from leadgate.leads.requests import LeadData
from leadgate.workspace import ids, keys
from leadgate.workspace.pipelines import service, store

PIPELINE_FIELD = "pipeline_id"
STAGE_FIELD = "pipeline_stage_id"


def place(
    tenant_id: str,
    data: LeadData,
    current: LeadData | None,
    *,
    default: bool = True,
    default_marker: dict[str, Any] | None = None,
) -> LeadData:
    """`data` with its pipeline and stage checked (and filled in where implied); ValidationFailed otherwise.
    `default=False` (a dry run) checks what is named and places nothing by default: it writes nothing.
    `default_marker`: the default pipeline's marker when the caller read it with its own reads (intake), so
    a new lead naming no stage costs no read of its own; None reads it (and makes the pipeline on first use)."""
    pipeline_value, stage_value = data.pipeline_id, data.pipeline_stage_id
    if current is not None and (pipeline_value, stage_value) == (current.pipeline_id, current.pipeline_stage_id):
        return data
    if stage_value is not None and (current is None or stage_value != current.pipeline_stage_id):
        # A pipeline kept from the current lead is not a constraint: the new stage implies its own.
        named = pipeline_value if current is None or pipeline_value != current.pipeline_id else None
        return _in_stage(tenant_id, data, stage_value, named)
    if pipeline_value is not None and (current is None or pipeline_value != current.pipeline_id):
        return _in_pipeline(tenant_id, data, pipeline_value)
    if default and current is None and pipeline_value is None and stage_value is None:
        marker = default_marker or service.ensure_default(tenant_id)
        return _placed(data, marker["pipeline_id"], marker.get("entry_stage_id"))
    return data


def _in_stage(tenant_id: str, data: LeadData, stage_value: Any, pipeline_value: Any) -> LeadData:
    stage_id = _id_of(stage_value, STAGE_FIELD, "stage")
    pipeline_id = _id_of(pipeline_value, PIPELINE_FIELD, "pipeline") if pipeline_value is not None else None
    stage = store.get_stage(tenant_id, stage_id) or _after_first_use(tenant_id, store.get_stage, stage_id)
    if stage is None:
        raise _refused(STAGE_FIELD, f"No stage {stage_id} in this workspace.")
    if pipeline_id is not None and stage.pipeline_id != pipeline_id:
        raise _refused(STAGE_FIELD, f"Stage {stage_id} is not a stage of pipeline {pipeline_id}.")
    if stage.archived:
        raise _refused(STAGE_FIELD, f"Stage {stage_id} is archived: it takes no new leads.")
    owner = store.get_pipeline(tenant_id, stage.pipeline_id)
    if owner is None or stage_id not in owner.stage_ids:
        raise _refused(STAGE_FIELD, f"No stage {stage_id} in this workspace.")
    if owner.archived:
        raise _refused(STAGE_FIELD, f"Stage {stage_id} is in archived pipeline {owner.id}: it takes no new leads.")
    return _placed(data, owner.id, stage.id)


def _in_pipeline(tenant_id: str, data: LeadData, pipeline_value: Any) -> LeadData:
    pipeline_id = _id_of(pipeline_value, PIPELINE_FIELD, "pipeline")
    owner = store.get_pipeline(tenant_id, pipeline_id) or _after_first_use(tenant_id, store.get_pipeline, pipeline_id)
    if owner is None:
        raise _refused(PIPELINE_FIELD, f"No pipeline {pipeline_id} in this workspace.")
    if owner.archived:
        raise _refused(PIPELINE_FIELD, f"Pipeline {pipeline_id} is archived: it takes no new leads.")
    entry = service.entry_stage(owner, store.stages(tenant_id, owner.stage_ids))
    if entry is None:
        raise _refused(PIPELINE_FIELD, f"Pipeline {pipeline_id} has no open stage; name a pipeline_stage_id.")
    return _placed(data, owner.id, entry)


def _after_first_use(tenant_id: str, read: Callable[[str, int], Any], object_id: int) -> Any:
    """What `read` finds once the tenant's default pipeline exists: a new tenant's first lead may name it as
    LeadHub's example does (`"pipeline_id": 1, "pipeline_stage_id": 2`) before anything made it."""
    if store.default_marker(tenant_id) is not None:
        return None
    service.ensure_default(tenant_id)
    return read(tenant_id, object_id)


def _id_of(value: Any, field: str, kind: str) -> int:
    """A workspace id as a lead names it: an integer, or its decimal digits as a string."""
    if isinstance(value, bool):
        found = None
    elif isinstance(value, int):
        found = value if 1 <= value <= keys.MAX_ID else None
    else:
        found = ids.parse(str(value))
    if found is None:
        raise _refused(field, f"The {kind} must be named by its integer id.")
    return found


def _placed(data: LeadData, pipeline_id: int, stage_id: int | None) -> LeadData:
    return data.model_copy(update={PIPELINE_FIELD: pipeline_id, STAGE_FIELD: stage_id})


def _refused(field: str, message: str) -> errors.ValidationFailed:
    return errors.ValidationFailed(errors={field: [message]})
