"""The pipelines and stages API's operations: validated bodies in, records out, `leadgate.errors` raised.

Every change is ONE transaction conditional on the versions read; a stage's change also writes its pipeline
when the order changes, and the default pipeline's marker when its entry stage (the first open, unarchived
stage, where intake lands a lead) changes. Deleting what leads still use is 409 `RESOURCE_IN_USE`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from leadgate import clock, errors
from leadgate.lists import Page
from leadgate.workspace import counts, ids, keys
from leadgate.workspace.pages import WorkspacePageParams, page_of
from leadgate.workspace.pipelines import store
from leadgate.workspace.pipelines.records import DEFAULT_PIPELINE_NAME, DEFAULT_STAGES, Pipeline, Stage
from leadgate.workspace.pipelines.requests import (
    MAX_STAGES,
    PipelineCreate,
    PipelinePatch,
    PipelineReplace,
    StageCreate,
    StagePatch,
    StageReplace,
)

NO_PIPELINE = "No such pipeline."
NO_STAGE = "No such stage in this pipeline."


# ------------------------------------------------------------------ reads


def list_pipelines(tenant_id: str, params: WorkspacePageParams) -> Page:
    """A page of the tenant's pipelines in position order, each with its stages and their lead counts (the
    default pipeline is made on first use)."""
    ensure_default(tenant_id)
    page = page_of(store.all_pipelines(tenant_id), params, "pipelines")
    stage_ids = [stage_id for shown in page.records for stage_id in shown.stage_ids]
    stages = store.stages(tenant_id, stage_ids)
    lead_counts = counts.counts(tenant_id, keys.STAGE, stage_ids)
    return replace(page, records=[shown.record(stages, lead_counts) for shown in page.records])


def pipeline(tenant_id: str, pipeline_id: int) -> Pipeline:
    found = store.get_pipeline(tenant_id, pipeline_id)
    if found is None:
        raise errors.NotFound(NO_PIPELINE)
    return found


def pipeline_record(tenant_id: str, found: Pipeline) -> dict[str, Any]:
    stages = store.stages(tenant_id, found.stage_ids)
    return found.record(stages, counts.counts(tenant_id, keys.STAGE, found.stage_ids))


def stage_of(tenant_id: str, pipeline_id: int, stage_id: int) -> tuple[Pipeline, Stage]:
    """The stage and its pipeline; a stage of another pipeline (or tenant) is not found."""
    owner = pipeline(tenant_id, pipeline_id)
    found = store.get_stage(tenant_id, stage_id) if stage_id in owner.stage_ids else None
    if found is None or found.pipeline_id != pipeline_id:
        raise errors.NotFound(NO_STAGE)
    return owner, found


def stage_record(tenant_id: str, owner: Pipeline, found: Stage) -> dict[str, Any]:
    return found.record(owner.position_of(found.id), counts.count(tenant_id, keys.STAGE, found.id))


def list_stages(tenant_id: str, pipeline_id: int, params: WorkspacePageParams) -> Page:
    owner = pipeline(tenant_id, pipeline_id)
    stages = store.stages(tenant_id, owner.stage_ids)
    lead_counts = counts.counts(tenant_id, keys.STAGE, owner.stage_ids)
    records = [
        stages[stage_id].record(place, lead_counts.get(stage_id, 0))
        for place, stage_id in enumerate(owner.stage_ids, start=1)
        if stage_id in stages
    ]
    return page_of(records, params, f"stages:{pipeline_id}")


# ------------------------------------------------------------------ the default pipeline


def ensure_default(tenant_id: str) -> dict[str, Any]:
    """The default pipeline's marker (`pipeline_id`, `entry_stage_id`), the pipeline made on first use with the
    default stages. Race-safe: the marker is put only if absent, in the pipeline's own transaction, and a loser
    reads the winner's. A new tenant's default pipeline is pipeline 1 with stages 1-6, as LeadHub's examples
    assume (`"pipeline_id": 1, "pipeline_stage_id": 2`): it starts both id sequences in that transaction."""
    marker = store.default_marker(tenant_id)
    if marker is not None:
        return marker
    for first_ids in (True, False):
        if first_ids:
            pipeline_id, stage_ids = 1, range(1, len(DEFAULT_STAGES) + 1)
        else:  # the sequences had started (a deleted default pipeline): fresh ids, gaps after a lost race
            pipeline_id = ids.allocate_one(tenant_id, keys.PIPELINE)
            stage_ids = ids.allocate(tenant_id, keys.STAGE, len(DEFAULT_STAGES))
        made = _default_writes(tenant_id, pipeline_id, stage_ids, start_sequences=first_ids)
        try:
            store.commit(made[1])
        except store.StaleWrite:
            winner = store.default_marker(tenant_id)
            if winner is not None:
                return winner
            continue
        return made[0]
    raise errors.Conflict("The default pipeline changed meanwhile; retry.")


def _default_writes(
    tenant_id: str, pipeline_id: int, stage_ids: range, *, start_sequences: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    now = clock.iso(clock.now())
    stages = [
        Stage(stage_id, pipeline_id, name, probability, kind, False, now, now)
        for stage_id, (name, kind, probability) in zip(stage_ids, DEFAULT_STAGES, strict=True)
    ]
    created = Pipeline(pipeline_id, DEFAULT_PIPELINE_NAME, 1, False, now, now, tuple(stage_ids), is_default=True)
    entry = entry_stage(created, {stage.id: stage for stage in stages})
    writes = [
        store.put_default_marker(tenant_id, pipeline_id, entry, first=True),
        store.put_pipeline(tenant_id, created, expected_version=None),
        *(store.put_stage(tenant_id, stage, expected_version=None) for stage in stages),
    ]
    if start_sequences:
        writes += [
            ids.start_sequence(tenant_id, keys.PIPELINE, pipeline_id),
            ids.start_sequence(tenant_id, keys.STAGE, stage_ids[-1]),
        ]
    return {"pipeline_id": pipeline_id, "entry_stage_id": entry}, writes


def entry_stage(owner: Pipeline, stages: dict[int, Stage]) -> int | None:
    """Where intake lands a lead: the pipeline's first open, unarchived stage."""
    return next(
        (
            stage_id
            for stage_id in owner.stage_ids
            if stage_id in stages and stages[stage_id].type == "open" and not stages[stage_id].archived
        ),
        None,
    )


def _marker_writes(tenant_id: str, owner: Pipeline, stages: dict[int, Stage]) -> list[dict[str, Any]]:
    if not owner.is_default:
        return []
    return [store.put_default_marker(tenant_id, owner.id, entry_stage(owner, stages))]


# ------------------------------------------------------------------ pipeline writes


def create_pipeline(tenant_id: str, body: PipelineCreate) -> Pipeline:
    ensure_default(tenant_id)  # the first pipeline of a tenant is its default one, whoever asks first
    existing = store.all_pipelines(tenant_id)
    now = clock.iso(clock.now())
    specs = body.stages or [StageCreate(name=name, type=kind, probability=p) for name, kind, p in DEFAULT_STAGES]
    pipeline_id = ids.allocate_one(tenant_id, keys.PIPELINE)
    stage_ids = list(ids.allocate(tenant_id, keys.STAGE, len(specs)))
    order = _ordered(stage_ids, [spec.position for spec in specs])
    stages = [
        Stage(stage_id, pipeline_id, spec.name, spec.probability, spec.type, spec.archived, now, now)
        for stage_id, spec in zip(stage_ids, specs, strict=True)
    ]
    position = body.position or (max((p.position for p in existing), default=0) + 1)
    created = Pipeline(pipeline_id, body.name, position, body.archived, now, now, tuple(order))
    store.commit(
        [
            store.put_pipeline(tenant_id, created, expected_version=None),
            *(store.put_stage(tenant_id, stage, expected_version=None) for stage in stages),
        ]
    )
    return created


def _ordered(stage_ids: list[int], positions: list[int | None]) -> list[int]:
    """Stage ids placed at their asked positions (from 1), in the order given; the others after, as given."""
    order: list[int] = []
    for stage_id, position in zip(stage_ids, positions, strict=True):
        order.insert(position - 1 if position is not None else len(order), stage_id)
    return order


def replace_pipeline(tenant_id: str, pipeline_id: int, body: PipelineReplace, if_match: str | None) -> Pipeline:
    values = {"name": body.name, "archived": body.archived}
    return _change_pipeline(tenant_id, pipeline_id, if_match, values, position=body.position, stage_ids=body.stage_ids)


def patch_pipeline(tenant_id: str, pipeline_id: int, body: PipelinePatch, if_match: str | None) -> Pipeline:
    values = {name: getattr(body, name) for name in ("name", "archived") if name in body.model_fields_set}
    return _change_pipeline(tenant_id, pipeline_id, if_match, values, position=body.position, stage_ids=body.stage_ids)


def _change_pipeline(
    tenant_id: str,
    pipeline_id: int,
    if_match: str | None,
    values: dict[str, Any],
    *,
    position: int | None,
    stage_ids: list[int] | None,
) -> Pipeline:
    current = pipeline(tenant_id, pipeline_id)
    check_precondition(current.etag, if_match)
    if position is not None:
        values["position"] = position
    if stage_ids is not None:
        if sorted(stage_ids) != sorted(current.stage_ids):
            raise errors.ValidationFailed(
                errors={"stage_ids": ["Give every stage of the pipeline once, in the new order."]}
            )
        values["stage_ids"] = tuple(stage_ids)
    if all(getattr(current, name) == value for name, value in values.items()):
        return current
    changed = current.changed(clock.iso(clock.now()), **values)
    extra = []
    if changed.stage_ids != current.stage_ids and changed.is_default:
        extra = _marker_writes(tenant_id, changed, store.stages(tenant_id, changed.stage_ids))
    _writing(
        if_match,
        lambda: store.commit([store.put_pipeline(tenant_id, changed, expected_version=current.version), *extra]),
    )
    return changed


def delete_pipeline(tenant_id: str, pipeline_id: int, if_match: str | None) -> None:
    """Only a pipeline no lead is in: else 409 `RESOURCE_IN_USE` with the count (archive it instead)."""
    current = pipeline(tenant_id, pipeline_id)
    check_precondition(current.etag, if_match)
    in_use = sum(counts.counts(tenant_id, keys.STAGE, current.stage_ids).values())
    if in_use:
        raise errors.ResourceInUse(in_use, f"{in_use} lead(s) are in this pipeline; archive it instead.")
    stages = store.stages(tenant_id, current.stage_ids)
    entries = [
        store.delete_pipeline(tenant_id, current),
        *(store.delete_stage(tenant_id, stage) for stage in stages.values()),
    ]
    if current.is_default:
        entries.append(store.delete_default_marker(tenant_id, current.id))
    _writing(if_match, lambda: store.commit(entries))
    for stage_id in current.stage_ids:
        counts.forget(tenant_id, keys.STAGE, stage_id)


# ------------------------------------------------------------------ stage writes


def create_stage(tenant_id: str, pipeline_id: int, body: StageCreate) -> tuple[Pipeline, Stage]:
    current = pipeline(tenant_id, pipeline_id)
    if len(current.stage_ids) >= MAX_STAGES:
        raise errors.ValidationFailed(errors={"name": [f"A pipeline has at most {MAX_STAGES} stages."]})
    now = clock.iso(clock.now())
    stage = Stage(
        ids.allocate_one(tenant_id, keys.STAGE),
        pipeline_id,
        body.name,
        body.probability,
        body.type,
        body.archived,
        now,
        now,
    )
    order = list(current.stage_ids)
    order.insert(min(body.position, len(order) + 1) - 1 if body.position else len(order), stage.id)
    changed = current.changed(now, stage_ids=tuple(order))
    stages = {**store.stages(tenant_id, current.stage_ids), stage.id: stage}
    _writing(
        None,
        lambda: store.commit(
            [
                store.put_stage(tenant_id, stage, expected_version=None),
                store.put_pipeline(tenant_id, changed, expected_version=current.version),
                *_marker_writes(tenant_id, changed, stages),
            ]
        ),
    )
    return changed, stage


def replace_stage(
    tenant_id: str, pipeline_id: int, stage_id: int, body: StageReplace, if_match: str | None
) -> tuple[Pipeline, Stage]:
    values = {name: getattr(body, name) for name in ("name", "probability", "type", "archived")}
    return _change_stage(tenant_id, pipeline_id, stage_id, if_match, values, position=body.position)


def patch_stage(
    tenant_id: str, pipeline_id: int, stage_id: int, body: StagePatch, if_match: str | None
) -> tuple[Pipeline, Stage]:
    names = ("name", "probability", "type", "archived")
    values = {name: getattr(body, name) for name in names if name in body.model_fields_set}
    return _change_stage(tenant_id, pipeline_id, stage_id, if_match, values, position=body.position)


def _change_stage(
    tenant_id: str,
    pipeline_id: int,
    stage_id: int,
    if_match: str | None,
    values: dict[str, Any],
    *,
    position: int | None,
) -> tuple[Pipeline, Stage]:
    owner, current = stage_of(tenant_id, pipeline_id, stage_id)
    check_precondition(current.etag, if_match)
    _check_type_change(tenant_id, current, values.get("type", current.type))
    order = list(owner.stage_ids)
    if position is not None:
        order.remove(stage_id)
        order.insert(min(position, len(order) + 1) - 1, stage_id)
    stage_changes = any(getattr(current, name) != value for name, value in values.items())
    moved = tuple(order) != owner.stage_ids
    if not stage_changes and not moved:
        return owner, current
    now = clock.iso(clock.now())
    changed = current.changed(now, **values) if stage_changes else current
    new_owner = owner.changed(now, stage_ids=tuple(order)) if moved else owner
    entries = []
    if stage_changes:
        entries.append(store.put_stage(tenant_id, changed, expected_version=current.version))
    if moved:
        entries.append(store.put_pipeline(tenant_id, new_owner, expected_version=owner.version))
    if owner.is_default:
        stages = {**store.stages(tenant_id, owner.stage_ids), changed.id: changed}
        entries.extend(_marker_writes(tenant_id, new_owner, stages))
    _writing(if_match, lambda: store.commit(entries))
    return new_owner, changed


def _check_type_change(tenant_id: str, current: Stage, new_type: str) -> None:
    """A stage holding leads keeps being open or closed (won, lost): each lead keeps its stage's type, on which
    its user's `open_lead_count` rests (leadgate.leads.stage_history). 409 `RESOURCE_IN_USE` otherwise."""
    if (current.type == "open") == (new_type == "open"):
        return
    in_use = counts.count(tenant_id, keys.STAGE, current.id)
    if in_use:
        raise errors.ResourceInUse(
            in_use, f"{in_use} lead(s) are in this stage: move them before making it {new_type}."
        )


def delete_stage(tenant_id: str, pipeline_id: int, stage_id: int, if_match: str | None) -> None:
    """Only a stage no lead is in: else 409 `RESOURCE_IN_USE` with the count (archive it instead)."""
    owner, current = stage_of(tenant_id, pipeline_id, stage_id)
    check_precondition(current.etag, if_match)
    in_use = counts.count(tenant_id, keys.STAGE, stage_id)
    if in_use:
        raise errors.ResourceInUse(in_use, f"{in_use} lead(s) are in this stage; archive it instead.")
    remaining = tuple(other for other in owner.stage_ids if other != stage_id)
    new_owner = owner.changed(clock.iso(clock.now()), stage_ids=remaining)
    entries = [
        store.delete_stage(tenant_id, current),
        store.put_pipeline(tenant_id, new_owner, expected_version=owner.version),
    ]
    if owner.is_default:
        entries.extend(_marker_writes(tenant_id, new_owner, store.stages(tenant_id, remaining)))
    _writing(if_match, lambda: store.commit(entries))
    counts.forget(tenant_id, keys.STAGE, stage_id)


# ------------------------------------------------------------------ shared


def check_precondition(etag: str, if_match: str | None) -> None:
    """If-Match: `*` or a list of ETags, one of which must be the record's (strong comparison)."""
    if if_match is None:
        return
    tags = [tag.strip() for tag in if_match.split(",")]
    if "*" not in tags and etag not in tags:
        raise errors.PreconditionFailed(f"The record's ETag is {etag}.", etag=etag)


def _writing(if_match: str | None, write: Callable[[], None]) -> None:
    try:
        write()
    except store.StaleWrite as exc:
        if if_match is not None:
            raise errors.PreconditionFailed("The record was changed by another request.") from exc
        raise errors.Conflict("The record was changed by another request; read it again and retry.") from exc
