"""Pipelines and stages over HTTP on the local stack (real authorizer, gateway emulation, DynamoDB Local when it
runs): every route with its scopes, LeadHub's example lead naming pipeline 1 and stage 2, the 405 of a resource."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def test_pipelines_and_stages_over_http(local_stack):
    client = local_stack.admin_json(
        "clients", "create", "--tenant", "pipes-http", "--scopes", "read:pipelines", "write:pipelines", "write:leads"
    )
    reader = local_stack.admin_json("clients", "create", "--tenant", "pipes-http", "--scopes", "read:pipelines")
    auth = {"Authorization": f"Bearer {local_stack.token(client)}"}
    read_only = {"Authorization": f"Bearer {local_stack.token(reader)}"}

    def call(method, path, body=None, headers=None):
        return requests.request(
            method, local_stack.url(path), json=body, headers={**auth, **(headers or {})}, timeout=30
        )

    listed = call("GET", "/api/v1/pipelines")
    assert listed.status_code == 200, listed.text
    assert [stage["id"] for stage in listed.json()["data"][0]["stages"]] == [1, 2, 3, 4, 5, 6]

    lead = call("POST", "/api/v1/leads", {"first_name": "Sarah", "pipeline_id": 1, "pipeline_stage_id": 2})
    assert lead.status_code == 201, lead.text

    created = call("POST", "/api/v1/pipelines", {"name": "Partners", "stages": [{"name": "Intro"}]})
    assert created.status_code == 201, created.text
    pipeline_id = created.json()["data"]["id"]
    assert call("GET", f"/api/v1/pipelines/{pipeline_id}").status_code == 200
    assert call("PUT", f"/api/v1/pipelines/{pipeline_id}", {"name": "Partners 2"}).status_code == 200
    assert call("PATCH", f"/api/v1/pipelines/{pipeline_id}", {"position": 1}).status_code == 200
    stage = call("POST", f"/api/v1/pipelines/{pipeline_id}/stages", {"name": "Signed", "type": "won"})
    assert stage.status_code == 201, stage.text
    stage_path = f"/api/v1/pipelines/{pipeline_id}/stages/{stage.json()['data']['id']}"
    assert call("GET", f"/api/v1/pipelines/{pipeline_id}/stages").status_code == 200
    assert call("GET", stage_path).status_code == 200
    assert call("PUT", stage_path, {"name": "Signed!", "type": "won"}).status_code == 200
    patched = call("PATCH", stage_path, {"probability": 90}, headers={"If-Match": '"2"'})
    assert patched.status_code == 200, patched.text
    assert call("DELETE", stage_path).status_code == 204

    in_use = call("DELETE", "/api/v1/pipelines/1/stages/2")
    assert (in_use.status_code, in_use.json()["code"], in_use.json()["lead_count"]) == (409, "RESOURCE_IN_USE", 1)
    assert call("DELETE", f"/api/v1/pipelines/{pipeline_id}").status_code == 204
    assert call("GET", "/api/v1/pipelines/01").status_code == 404

    refused = requests.post(local_stack.url("/api/v1/pipelines"), json={"name": "x"}, headers=read_only, timeout=30)
    assert refused.status_code == 403
    not_allowed = requests.request("POST", local_stack.url("/api/v1/pipelines/1"), headers=auth, timeout=30)
    assert not_allowed.status_code == 405
    assert not_allowed.headers["Allow"] == "GET, PUT, PATCH, DELETE"


def test_stage_history_and_stats_over_http(local_stack):
    client = local_stack.admin_json(
        "clients", "create", "--tenant", "moves-http", "--scopes", "read:pipelines", "read:leads", "write:leads"
    )
    pipelines_only = local_stack.admin_json("clients", "create", "--tenant", "moves-http", "--scopes", "read:pipelines")
    auth = {"Authorization": f"Bearer {local_stack.token(client)}"}

    def call(method, path, body=None, headers=auth):
        return requests.request(method, local_stack.url(path), json=body, headers=headers, timeout=30)

    lead = call("POST", "/api/v1/leads", {"first_name": "Sarah"}).json()["data"]
    moved = call("PATCH", f"/api/v1/leads/{lead['id']}", {"pipeline_stage_id": 2})
    assert moved.status_code == 200, moved.text

    history = call("GET", f"/api/v1/leads/{lead['id']}/stage-history", headers=auth)
    assert history.status_code == 200, history.text
    assert [(m["from_stage_id"], m["to_stage_id"], m["client_id"]) for m in history.json()["data"]] == [
        (1, 2, client["client_id"]),
        (None, 1, client["client_id"]),
    ]
    assert history.json()["data"][0]["moved_at"] == moved.json()["data"]["stage_entered_at"]

    stats = call(
        "GET", "/api/v1/pipelines/1/stats", headers={"Authorization": f"Bearer {local_stack.token(pipelines_only)}"}
    )
    assert stats.status_code == 200, stats.text
    by_stage = {stage["stage_id"]: stage for stage in stats.json()["data"]["stages"]}
    assert (by_stage[1]["sample_size"], by_stage[2]["lead_count"]) == (1, 1)

    no_scope = call(
        "GET",
        f"/api/v1/leads/{lead['id']}/stage-history",
        headers={"Authorization": f"Bearer {local_stack.token(pipelines_only)}"},
    )
    assert no_scope.status_code == 403
    not_allowed = call("POST", "/api/v1/pipelines/1/stats")
    assert (not_allowed.status_code, not_allowed.headers["Allow"]) == (405, "GET")
    assert call("DELETE", f"/api/v1/leads/{lead['id']}/stage-history").status_code == 405
