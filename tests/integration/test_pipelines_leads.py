"""A lead's stage is real: every lead write names an existing, unarchived stage (or lands in the default
pipeline's entry stage), and stage counts move in the lead's own transaction, exact under concurrency. Through the
leads, inbound and workspace handlers with API Gateway events."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from leadgate.leads import repository
from leadgate.leads.requests import LeadData
from leadgate_dev.harness import authorizer_context, call
from leadgate_dev.harness.events import rest_event
from tests.support.inbound import call as call_inbound
from tests.support.inbound import inbound, upsert
from tests.support.leads import LeadsApi

ALL = ("read:leads", "write:leads", "delete:leads", "read:pipelines", "write:pipelines")


class Leads(LeadsApi):
    def patch(self, lead_id, body):
        return self.call("PATCH", f"/api/v1/leads/{lead_id}", body=body)


@pytest.fixture
def leads(aws):
    return Leads()


def workspace(method, path, body=None, tenant="acme"):
    event = rest_event(
        method,
        path,
        body=body,
        headers={"Host": "api.example.com"},
        authorizer=authorizer_context(tenant=tenant, scopes=ALL),
    )
    return call("workspace", event, budget_ms=30_000)


def lead_counts(pipeline_id=1, tenant="acme"):
    stages = workspace("GET", f"/api/v1/pipelines/{pipeline_id}", tenant=tenant).body["data"]["stages"]
    return {stage["id"]: stage["lead_count"] for stage in stages}


def test_leadhubs_example_ids_work_on_a_new_tenant(leads):
    lead = leads.create(first_name="Sarah", pipeline_id=1, pipeline_stage_id=2)

    assert (lead["pipeline_id"], lead["pipeline_stage_id"]) == (1, 2)
    assert lead_counts() == {1: 0, 2: 1, 3: 0, 4: 0, 5: 0, 6: 0}


def test_a_lead_without_a_stage_lands_in_the_default_pipelines_first_open_stage_by_any_route(leads):
    created = leads.create(first_name="Api")
    assert (created["pipeline_id"], created["pipeline_stage_id"]) == (1, 1)

    by_inbound = call_inbound(inbound({"first_name": "In", "email": "in@example.com"})).body["lead_id"]
    by_upsert = call_inbound(upsert({"first_name": "Up", "email": "up@example.com"})).body["data"]["id"]
    for lead_id in (by_inbound, by_upsert):
        assert leads.get(lead_id).data["pipeline_stage_id"] == 1
    assert lead_counts()[1] == 3


def test_the_entry_stage_follows_reordering_and_archiving(leads):
    workspace("GET", "/api/v1/pipelines")
    workspace("PUT", "/api/v1/pipelines/1", {"name": "Sales", "stage_ids": [5, 3, 1, 2, 4, 6]})
    assert leads.create(first_name="A")["pipeline_stage_id"] == 3  # 5 is "won": not an entry
    workspace("PATCH", "/api/v1/pipelines/1/stages/3", {"archived": True})
    assert leads.create(first_name="B")["pipeline_stage_id"] == 1


def test_the_stage_alone_implies_its_pipeline_and_a_pipeline_alone_its_entry_stage(leads):
    workspace("GET", "/api/v1/pipelines")
    other = workspace("POST", "/api/v1/pipelines", {"name": "Partners", "stages": [{"name": "Intro"}]}).body["data"]
    stage_id = other["stages"][0]["id"]

    assert leads.create(first_name="A", pipeline_stage_id=stage_id)["pipeline_id"] == other["id"]
    assert leads.create(first_name="B", pipeline_id=other["id"])["pipeline_stage_id"] == stage_id
    assert leads.create(first_name="C", pipeline_id=str(other["id"]))["pipeline_id"] == other["id"]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"pipeline_stage_id": 99}, "pipeline_stage_id"),
        ({"pipeline_id": 99}, "pipeline_id"),
        ({"pipeline_id": 1, "pipeline_stage_id": 7}, "pipeline_stage_id"),  # a stage of another pipeline
        ({"pipeline_id": "p-1"}, "pipeline_id"),
        ({"pipeline_stage_id": "stage-2"}, "pipeline_stage_id"),
        ({"pipeline_stage_id": 0}, "pipeline_stage_id"),
    ],
)
def test_a_stage_or_pipeline_that_is_not_real_is_422_naming_the_field(leads, fields, field):
    workspace("POST", "/api/v1/pipelines", {"name": "Partners", "stages": [{"name": "Intro"}]})  # stage 7

    reply = leads.call("POST", "/api/v1/leads", body={"first_name": "A", **fields})

    assert (reply.status, reply.body["code"]) == (422, "VALIDATION_FAILED")
    assert list(reply.body["errors"]) == [field]


def test_archived_stages_and_pipelines_refuse_new_leads_but_keep_theirs(leads):
    kept = leads.create(first_name="Kept", pipeline_stage_id=2)
    workspace("PATCH", "/api/v1/pipelines/1/stages/2", {"archived": True})

    assert leads.call("POST", "/api/v1/leads", body={"first_name": "A", "pipeline_stage_id": 2}).status == 422
    assert leads.get(kept["id"]).data["pipeline_stage_id"] == 2
    assert leads.patch(kept["id"], {"notes": "still here"}).status == 200  # its stage is not checked again

    workspace("PATCH", "/api/v1/pipelines/1", {"archived": True})
    reply = leads.call("POST", "/api/v1/leads", body={"first_name": "B", "pipeline_stage_id": 3})
    assert (reply.status, list(reply.body["errors"])) == (422, ["pipeline_stage_id"])
    reply = call_inbound(inbound({"first_name": "In", "email": "in@example.com", "pipeline_id": 1}))
    assert reply.status == 422


def test_moves_and_deletes_keep_the_counts_exact(leads):
    lead = leads.create(first_name="Mover", pipeline_stage_id=1)
    assert leads.patch(lead["id"], {"pipeline_stage_id": 4}).status == 200
    assert lead_counts()[1] == 0 and lead_counts()[4] == 1

    replaced = leads.call("PUT", f"/api/v1/leads/{lead['id']}", body={"first_name": "Mover", "pipeline_stage_id": 5})
    assert replaced.status == 200 and lead_counts()[5] == 1 and lead_counts()[4] == 0

    assert leads.call("DELETE", f"/api/v1/leads/{lead['id']}").status == 204
    assert set(lead_counts().values()) == {0}
    assert workspace("DELETE", "/api/v1/pipelines/1/stages/5").status == 204  # empty again


def test_a_lead_in_a_stage_makes_it_in_use(leads):
    leads.create(first_name="A", pipeline_stage_id=3)
    reply = workspace("DELETE", "/api/v1/pipelines/1/stages/3")
    assert (reply.status, reply.body["code"], reply.body["lead_count"]) == (409, "RESOURCE_IN_USE", 1)


def test_leads_holding_string_ids_from_before_stay_readable_and_writable(leads):
    old = repository.create("acme", LeadData(first_name="Old", pipeline_id="p-1", pipeline_stage_id="s-9"))

    assert leads.get(old.id).data["pipeline_stage_id"] == "s-9"
    changed = leads.patch(old.id, {"notes": "kept"})
    assert changed.status == 200 and changed.data["pipeline_id"] == "p-1"
    moved = leads.patch(old.id, {"pipeline_stage_id": 2})
    assert (moved.data["pipeline_id"], moved.data["pipeline_stage_id"]) == (1, 2)
    assert lead_counts()[2] == 1


def _retrying(send):
    """A client that retries 409 CONFLICT (a write that met a concurrent one), as the error tells it to."""
    while True:
        reply = send()
        if reply.status != 409:
            return reply


def test_32_concurrent_moves_keep_counts_exact(leads):
    made = [leads.create(first_name=f"L{i}", pipeline_stage_id=1)["id"] for i in range(32)]

    def move(index):
        target = 2 + index % 3  # stages 2, 3, 4
        return _retrying(lambda: leads.patch(made[index], {"pipeline_stage_id": target}))

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(move, range(32)))

    assert {reply.status for reply in replies} == {200}
    assert lead_counts() == {1: 0, 2: 11, 3: 11, 4: 10, 5: 0, 6: 0}


def test_32_concurrent_moves_of_one_lead_leave_it_counted_once(leads):
    lead_id = leads.create(first_name="Busy", pipeline_stage_id=1)["id"]

    def move(index):
        return _retrying(lambda: leads.patch(lead_id, {"pipeline_stage_id": 1 + index % 4}))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(move, range(32)))

    final = leads.get(lead_id).data["pipeline_stage_id"]
    assert lead_counts() == {stage: int(stage == final) for stage in range(1, 7)}


def test_32_concurrent_intakes_of_different_people_into_one_stage_all_succeed(leads):
    leads.create(first_name="First")  # the default pipeline exists

    def intake(index):
        body = {"first_name": f"P{index}", "email": f"p{index}@example.com", "pipeline_stage_id": 2}
        return call_inbound(inbound(body))

    with ThreadPoolExecutor(8) as pool:
        replies = list(pool.map(intake, range(32)))

    assert [reply.status for reply in replies] == [201] * 32
    assert lead_counts()[2] == 32
