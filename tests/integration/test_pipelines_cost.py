"""DynamoDB calls and items per pipeline and stage operation and per lead move, metered on the client the domain
uses (moto). These are the figures in docs/workspace.md; a change that adds a call fails here."""

from __future__ import annotations

import pytest

from leadgate.leads import service as leads
from leadgate.leads.requests import LeadCreate, LeadPatch
from leadgate.workspace.pages import WorkspacePageParams
from leadgate.workspace.pipelines import service
from leadgate.workspace.pipelines.requests import PipelineCreate, PipelinePatch, StageCreate, StagePatch
from leadgate_dev.bench.metering import metered_dynamodb


def metered(operation):
    with metered_dynamodb() as meter:
        result = operation()
    return meter, result


@pytest.fixture
def tenant(aws):
    service.ensure_default("acme")
    return "acme"


def test_pipeline_and_stage_operations(tenant):
    meter, _ = metered(lambda: service.list_pipelines(tenant, WorkspacePageParams()))
    # the marker, the pipelines, their stages, their counts
    assert meter.calls == {"GetItem": 1, "Query": 2, "BatchGetItem": 1}

    meter, found = metered(lambda: service.pipeline_record(tenant, service.pipeline(tenant, 1)))
    assert meter.calls == {"GetItem": 1, "BatchGetItem": 1, "Query": 1}
    assert len(found["stages"]) == 6

    meter, created = metered(lambda: service.create_pipeline(tenant, PipelineCreate(name="Other")))
    # the marker, the pipelines (for the next position), two id allocations, one transaction of 1 + 6 items
    assert meter.calls == {"GetItem": 1, "Query": 1, "UpdateItem": 2, "TransactWriteItems": 1}
    assert meter.items_written == 2 + 7  # the two sequences, the pipeline and its six stages

    meter, _ = metered(lambda: service.patch_pipeline(tenant, 1, PipelinePatch(name="Renamed"), None))
    assert meter.calls == {"GetItem": 1, "TransactWriteItems": 1}

    meter, _ = metered(lambda: service.patch_pipeline(tenant, 1, PipelinePatch(stage_ids=[2, 1, 3, 4, 5, 6]), None))
    # the default pipeline's entry stage is recomputed from its stages: one BatchGetItem, the marker in the write
    assert meter.calls == {"GetItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}
    assert meter.items_written == 2

    meter, _ = metered(
        lambda: service.patch_stage(tenant, created.id, created.stage_ids[0], StagePatch(probability=5), None)
    )
    assert meter.calls == {"GetItem": 2, "TransactWriteItems": 1}

    meter, _ = metered(lambda: service.create_stage(tenant, created.id, StageCreate(name="Extra")))
    assert meter.calls == {"GetItem": 1, "UpdateItem": 1, "BatchGetItem": 1, "TransactWriteItems": 1}

    meter, _ = metered(lambda: service.delete_stage(tenant, created.id, created.stage_ids[0], None))
    # the stage's count (one Query), the transaction, the count's shards forgotten
    assert meter.calls == {"GetItem": 2, "Query": 1, "TransactWriteItems": 1, "BatchWriteItem": 1}


def test_a_lead_move_costs_one_read_of_the_stage_and_its_pipeline_and_two_count_items(tenant):
    lead = leads.create_lead(tenant, LeadCreate(first_name="Mover", pipeline_stage_id=1))

    meter, _ = metered(lambda: leads.patch_lead(tenant, lead.id, LeadPatch(pipeline_stage_id=2), None))

    # the lead, the stage, its pipeline; one transaction: the lead + the old and the new stage's count shard +
    # the move's history item and its pipeline's move item (stats); the list counters (STATS) as before
    assert meter.calls == {"GetItem": 3, "TransactWriteItems": 1, "UpdateItem": 1}
    assert meter.items_written == 1 + 2 + 2 + 1  # the lead, two count shards, two move items; STATS


def test_a_new_lead_without_a_stage_costs_the_marker_and_one_count_item(tenant):
    meter, _ = metered(lambda: leads.create_lead(tenant, LeadCreate(first_name="New")))

    assert meter.calls == {"GetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}
    assert meter.items_read == 1
