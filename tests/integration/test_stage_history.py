"""Stage history and pipeline stats through the leads and workspace handlers with API Gateway events: every move
(and a new lead's first stage) recorded in the lead write's own transaction, `stage_entered_at`,
`GET /api/v1/leads/{id}/stage-history` (newest first, paginated, tenant-scoped) and
`GET /api/v1/pipelines/{id}/stats` (lead counts and the median time in stage over 90 days)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

import pytest

from leadgate.leads import repository
from leadgate.leads.requests import LeadData
from leadgate.workspace.pipelines import stats
from leadgate_dev.harness import authorizer_context, call
from leadgate_dev.harness.events import rest_event
from tests.support.leads import LeadsApi

DAY = 86_400


class Leads(LeadsApi):
    def patch(self, lead_id, body, headers=None):
        return self.call("PATCH", f"/api/v1/leads/{lead_id}", body=body, headers=headers)

    def history(self, lead_id, **query):
        return self.call("GET", f"/api/v1/leads/{lead_id}/stage-history", query={k: str(v) for k, v in query.items()})


@pytest.fixture
def leads(aws):
    return Leads()


def workspace(method, path, body=None, tenant="acme"):
    event = rest_event(
        method,
        path,
        body=body,
        headers={"Host": "api.example.com"},
        authorizer=authorizer_context(tenant=tenant, scopes=("read:pipelines", "write:pipelines")),
    )
    return call("workspace", event, budget_ms=30_000)


def moves_of(leads, lead_id):
    return [(m["from_stage_id"], m["to_stage_id"]) for m in leads.history(lead_id, per_page=100).data]


def stage_stats(pipeline_id=1, tenant="acme"):
    reply = workspace("GET", f"/api/v1/pipelines/{pipeline_id}/stats", tenant=tenant)
    assert reply.status == 200, reply.body
    return reply.data, {stage["stage_id"]: stage for stage in reply.data["stages"]}


# ------------------------------------------------------------------ the lead's history


def test_a_new_lead_records_its_first_stage_by_its_client(leads, clock):
    lead = leads.create(first_name="Sarah")

    reply = leads.history(lead["id"])
    assert reply.status == 200
    assert reply.data == [
        {
            "lead_id": lead["id"],
            "from_pipeline_id": None,
            "from_stage_id": None,
            "to_pipeline_id": 1,
            "to_stage_id": 1,
            "moved_at": lead["stage_entered_at"],
            "client_id": "client-acme",
        }
    ]
    assert lead["stage_entered_at"] == lead["created_at"]
    assert reply.body["links"]["next"] is None


def test_moves_are_recorded_newest_first_and_other_changes_record_nothing(leads, clock):
    lead = leads.create(first_name="Sarah")
    clock.now += 60
    moved = leads.patch(lead["id"], {"pipeline_stage_id": 2})
    clock.now += 60
    renamed = leads.patch(lead["id"], {"first_name": "Sara"})
    clock.now += 60
    leads.patch(lead["id"], {"pipeline_stage_id": 3})

    assert moved.data["stage_entered_at"] > lead["stage_entered_at"]
    assert renamed.data["stage_entered_at"] == moved.data["stage_entered_at"]  # not a move
    assert moves_of(leads, lead["id"]) == [(2, 3), (1, 2), (None, 1)]
    pages = list(leads.pages(f"/api/v1/leads/{lead['id']}/stage-history", per_page=2))
    assert [len(page.data) for page in pages] == [2, 1]
    assert [m["to_stage_id"] for page in pages for m in page.data] == [3, 2, 1]
    assert leads.history(lead["id"], page=2, per_page=2).data[0]["to_stage_id"] == 1

    replaced = leads.call("PUT", f"/api/v1/leads/{lead['id']}", body={"first_name": "Sara"})  # names no stage
    assert (replaced.data["pipeline_stage_id"], replaced.data["stage_entered_at"]) == (None, None)
    assert moves_of(leads, lead["id"])[0] == (3, None)


def test_a_refused_write_records_no_move(leads, clock):
    taken = leads.create(first_name="A", email="a@example.com")
    lead = leads.create(first_name="B")

    clash = leads.patch(lead["id"], {"pipeline_stage_id": 2, "email": "A@example.com"})
    stale = leads.patch(lead["id"], {"pipeline_stage_id": 2}, headers={"If-Match": '"9"'})
    unknown = leads.patch(lead["id"], {"pipeline_stage_id": 99})

    assert (clash.status, stale.status, unknown.status) == (409, 412, 422)
    assert moves_of(leads, lead["id"]) == [(None, 1)]
    assert moves_of(leads, taken["id"]) == [(None, 1)]


def test_concurrent_moves_each_record_exactly_one_item(leads):
    lead = leads.create(first_name="Sarah")

    def move(stage_id):
        return leads.patch(lead["id"], {"pipeline_stage_id": stage_id})

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(move, [2, 3, 4, 1] * 4))

    history = leads.history(lead["id"], per_page=100).data
    final = leads.get(lead["id"]).data
    assert {answer.status for answer in answers} <= {200, 409}  # a lost race is a clean 409 that wrote nothing
    # Nothing missed: each move starts where the one before ended, from the first stage to the current one.
    assert [(m["from_stage_id"], m["to_stage_id"]) for m in history][-1] == (None, 1)
    assert all(newer["from_stage_id"] == older["to_stage_id"] for newer, older in pairwise(history))
    assert history[0]["to_stage_id"] == final["pipeline_stage_id"]
    assert history[0]["moved_at"] == final["stage_entered_at"]
    # Nothing doubled: one item per move, and every answered move is one of them.
    moments = [m["moved_at"] for m in history]
    assert len(set(moments)) == len(moments)
    assert {answer.data["stage_entered_at"] for answer in answers if answer.status == 200} <= set(moments)


def test_unknown_other_tenants_and_legacy_leads(leads, aws):
    lead = leads.create(first_name="Sarah")
    legacy = repository.create("acme", LeadData(first_name="Old"))  # as before stages: no stage, no history

    assert Leads("other").history(lead["id"]).status == 404
    assert leads.history("01ARZ3NDEKTSV4RRFFQ69G5FAV").status == 404
    assert leads.history("nope").status == 404
    assert leads.history(legacy.id).data == []
    assert leads.get(legacy.id).data["stage_entered_at"] is None
    assert leads.history(lead["id"], per_page=0).status == 422
    assert leads.history(lead["id"], colour="red").status == 422


def test_a_move_outside_a_request_records_no_client(leads):
    lead = leads.create(first_name="Sarah")
    current = repository.get("acme", lead["id"])

    repository.update("acme", current, current.data.model_copy(update={"pipeline_stage_id": 2}))  # a job, a worker

    newest = leads.history(lead["id"]).data[0]
    assert (newest["from_stage_id"], newest["to_stage_id"], newest["client_id"]) == (1, 2, None)


# ------------------------------------------------------------------ the pipeline's stats


def test_stats_give_counts_and_the_median_time_in_stage(leads, clock):
    first = leads.create(first_name="A")
    second = leads.create(first_name="B")
    leads.create(first_name="C")
    clock.now += 100
    leads.patch(first["id"], {"pipeline_stage_id": 2})
    clock.now += 200
    leads.patch(second["id"], {"pipeline_stage_id": 2})
    clock.now += 50
    leads.patch(first["id"], {"pipeline_stage_id": 5})  # 250 s in stage 2

    data, by_stage = stage_stats()

    assert (data["pipeline_id"], data["window_days"], data["sampled"]) == (1, 90, False)
    assert [stage["stage_id"] for stage in data["stages"]] == [1, 2, 3, 4, 5, 6]
    assert by_stage[1] | {"name": "New", "type": "open"} == by_stage[1]
    assert (by_stage[1]["lead_count"], by_stage[1]["median_seconds_in_stage"], by_stage[1]["sample_size"]) == (
        1,
        200,  # the median of 100 and 300
        2,
    )
    assert (by_stage[2]["lead_count"], by_stage[2]["median_seconds_in_stage"], by_stage[2]["sample_size"]) == (
        1,
        250,
        1,
    )
    assert (by_stage[3]["median_seconds_in_stage"], by_stage[3]["sample_size"]) == (None, 0)
    assert by_stage[5]["lead_count"] == 1


def test_stats_count_only_the_last_90_days(leads, clock):
    lead = leads.create(first_name="A")
    clock.now += 10
    leads.patch(lead["id"], {"pipeline_stage_id": 2})  # left stage 1 after 10 s
    clock.now += 91 * DAY
    leads.patch(lead["id"], {"pipeline_stage_id": 3})

    _, by_stage = stage_stats()

    assert (by_stage[1]["sample_size"], by_stage[2]["sample_size"]) == (0, 1)
    assert by_stage[2]["median_seconds_in_stage"] == 91 * DAY


def test_a_window_over_the_cap_is_sampled_from_its_newest_moves(leads, clock, monkeypatch):
    monkeypatch.setattr(stats, "MAX_MOVES", 2)
    lead = leads.create(first_name="A")
    for stage_id, seconds in ((2, 10), (3, 20), (4, 30)):
        clock.now += seconds
        leads.patch(lead["id"], {"pipeline_stage_id": stage_id})

    data, by_stage = stage_stats()

    assert data["sampled"] is True
    assert [(by_stage[s]["sample_size"], by_stage[s]["median_seconds_in_stage"]) for s in (1, 2, 3)] == [
        (0, None),
        (1, 20),
        (1, 30),
    ]


def test_stats_of_another_tenants_or_no_pipeline_are_404(leads):
    leads.create(first_name="A")
    assert workspace("GET", "/api/v1/pipelines/1/stats", tenant="other").status == 404
    for path in ("/api/v1/pipelines/99/stats", "/api/v1/pipelines/01/stats", "/api/v1/pipelines/x/stats"):
        assert workspace("GET", path).status == 404
    assert workspace("POST", "/api/v1/pipelines/1/stats").status in (404, 405)


# ------------------------------------------------------------------ stage types


def test_a_stage_holding_leads_cannot_switch_between_open_and_closed(leads):
    leads.create(first_name="A")

    refused = workspace("PATCH", "/api/v1/pipelines/1/stages/1", {"type": "won"})
    closed_to_closed = workspace("PATCH", "/api/v1/pipelines/1/stages/5", {"type": "lost"})
    empty = workspace("PATCH", "/api/v1/pipelines/1/stages/2", {"type": "won"})

    assert (refused.status, refused.body["code"], refused.body["lead_count"]) == (409, "RESOURCE_IN_USE", 1)
    assert (closed_to_closed.status, empty.status) == (200, 200)
