"""Pipelines and stages through the workspace handler with API Gateway events: LeadHub's routes, envelope and
pagination, integer ids, the default pipeline, ETags, reordering, archiving, RESOURCE_IN_USE, tenant isolation."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from leadgate.workspace import counts, keys
from leadgate_dev.harness import authorizer_context
from leadgate_dev.harness.events import rest_event

SCOPES = ("read:pipelines", "write:pipelines")
DEFAULT_NAMES = ["New", "Contacted", "Qualified", "Proposal", "Won", "Lost"]


@pytest.fixture
def api(aws, invoke):
    def _call(method, path, body=None, *, tenant="acme", query=None, headers=None, scopes=SCOPES):
        event = rest_event(
            method,
            path,
            body=body,
            query=query,
            headers={"Host": "api.example.com", **(headers or {})},
            authorizer=authorizer_context(tenant=tenant, scopes=scopes),
        )
        return invoke("workspace", event)

    return _call


def _names(pipeline):
    return [stage["name"] for stage in pipeline["stages"]]


def test_the_first_list_makes_the_default_pipeline_whose_ids_match_leadhubs_examples(api):
    status, _, body = api("GET", "/api/v1/pipelines")

    assert status == 200
    (default,) = body["data"]
    assert (default["id"], default["default"], default["position"], default["archived"]) == (1, True, 1, False)
    assert _names(default) == DEFAULT_NAMES
    assert [stage["id"] for stage in default["stages"]] == [1, 2, 3, 4, 5, 6]
    assert [stage["type"] for stage in default["stages"]] == ["open"] * 4 + ["won", "lost"]
    assert default["stages"][1] == {
        **default["stages"][1],
        "pipeline_id": 1,
        "position": 2,
        "lead_count": 0,
        "archived": False,
    }
    assert body["meta"] == {**body["meta"], "total": 1, "current_page": 1, "last_page": 1, "per_page": 15}
    assert api("GET", "/api/v1/pipelines")[2]["data"] == body["data"]  # made once


def test_concurrent_first_uses_make_one_default_pipeline(api):
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: api("GET", "/api/v1/pipelines"), range(6)))
    assert {status for status, _, _ in answers} == {200}
    assert {len(body["data"]) for _, _, body in answers} == {1}
    assert {body["data"][0]["id"] for _, _, body in answers} == {1}


def test_create_read_and_list_in_position_order_with_pages(api):
    status, headers, body = api(
        "POST",
        "/api/v1/pipelines",
        {"name": "Partners", "stages": [{"name": "Intro", "probability": 15}, {"name": "Signed", "type": "won"}]},
    )
    assert status == 201
    created = body["data"]
    assert headers["Location"].endswith(f"/api/v1/pipelines/{created['id']}")
    assert headers["ETag"] == '"1"'
    assert (created["name"], created["default"], created["position"]) == ("Partners", False, 2)
    assert [(s["name"], s["position"], s["probability"], s["type"]) for s in created["stages"]] == [
        ("Intro", 1, 15, "open"),
        ("Signed", 2, 0, "won"),
    ]
    status, headers, body = api("GET", f"/api/v1/pipelines/{created['id']}")
    assert (status, body["data"], headers["ETag"]) == (200, created, '"1"')

    api("POST", "/api/v1/pipelines", {"name": "First", "position": 1})
    status, _, page = api("GET", "/api/v1/pipelines", query={"per_page": "2"})
    assert [p["name"] for p in page["data"]] == ["Sales", "First"]
    assert page["meta"]["total"] == 3 and page["meta"]["last_page"] == 2
    status, _, second = api("GET", "/api/v1/pipelines", query={"per_page": "2", "page": "2"})
    assert [p["name"] for p in second["data"]] == ["Partners"]
    assert second["links"]["prev"] and second["links"]["next"] is None
    nxt = page["links"]["next"]
    assert "cursor=" in nxt


def test_a_new_pipeline_without_stages_gets_the_default_ones(api):
    status, _, body = api("POST", "/api/v1/pipelines", {"name": "Other"})
    assert status == 201
    assert _names(body["data"]) == DEFAULT_NAMES
    assert body["data"]["default"] is False


@pytest.mark.parametrize("segment", ["0", "-1", "01", "abc", "1.5", "9007199254740993", "99999999999999999999"])
def test_a_path_id_that_is_not_a_workspace_id_is_404(api, segment):
    api("GET", "/api/v1/pipelines")
    for method, path in (
        ("GET", f"/api/v1/pipelines/{segment}"),
        ("GET", f"/api/v1/pipelines/1/stages/{segment}"),
        ("GET", f"/api/v1/pipelines/{segment}/stages"),
        ("DELETE", f"/api/v1/pipelines/{segment}"),
    ):
        status, _, body = api(method, path)
        assert (status, body["code"]) == (404, "NOT_FOUND"), (method, path)


def test_another_tenants_pipelines_and_stages_are_404(api):
    api("GET", "/api/v1/pipelines")
    for path in ("/api/v1/pipelines/1", "/api/v1/pipelines/1/stages", "/api/v1/pipelines/1/stages/2"):
        assert api("GET", path, tenant="other-co")[0] == 404
    assert api("PATCH", "/api/v1/pipelines/1", {"name": "Mine"}, tenant="other-co")[0] == 404
    assert api("DELETE", "/api/v1/pipelines/1/stages/2", tenant="other-co")[0] == 404


def test_a_stage_of_another_pipeline_is_404(api):
    api("GET", "/api/v1/pipelines")
    other = api("POST", "/api/v1/pipelines", {"name": "Other", "stages": [{"name": "Only"}]})[2]["data"]
    stage_id = other["stages"][0]["id"]
    assert api("GET", f"/api/v1/pipelines/1/stages/{stage_id}")[0] == 404
    assert api("GET", f"/api/v1/pipelines/{other['id']}/stages/{stage_id}")[0] == 200


def test_reorder_stages_with_one_put_of_the_ordered_ids(api):
    api("GET", "/api/v1/pipelines")
    status, headers, body = api(
        "PUT", "/api/v1/pipelines/1", {"name": "Sales", "stage_ids": [2, 1, 3, 4, 6, 5]}, headers={"If-Match": '"1"'}
    )
    assert status == 200
    assert [stage["id"] for stage in body["data"]["stages"]] == [2, 1, 3, 4, 6, 5]
    assert [stage["position"] for stage in body["data"]["stages"]] == [1, 2, 3, 4, 5, 6]
    assert headers["ETag"] == '"2"'

    status, _, body = api("PUT", "/api/v1/pipelines/1", {"name": "Sales", "stage_ids": [1, 2, 3]})
    assert status == 422 and "stage_ids" in body["errors"]
    status, _, body = api("PUT", "/api/v1/pipelines/1", {"name": "Sales", "stage_ids": [1, 1, 2, 3, 4, 5]})
    assert status == 422 and "stage_ids" in body["errors"]


def test_move_a_stage_by_its_position(api):
    api("GET", "/api/v1/pipelines")
    status, _, body = api("PATCH", "/api/v1/pipelines/1/stages/4", {"position": 1})
    assert (status, body["data"]["position"]) == (200, 1)
    ids = [stage["id"] for stage in api("GET", "/api/v1/pipelines/1/stages")[2]["data"]]
    assert ids == [4, 1, 2, 3, 5, 6]


def test_if_match_guards_pipelines_and_stages(api):
    api("GET", "/api/v1/pipelines")
    status, _, body = api("PATCH", "/api/v1/pipelines/1", {"name": "Renamed"}, headers={"If-Match": '"7"'})
    assert (status, body["code"]) == (412, "PRECONDITION_FAILED")
    status, headers, _ = api("PATCH", "/api/v1/pipelines/1/stages/2", {"probability": 35}, headers={"If-Match": '"1"'})
    assert (status, headers["ETag"]) == (200, '"2"')
    assert api("PATCH", "/api/v1/pipelines/1/stages/2", {"probability": 36}, headers={"If-Match": '"1"'})[0] == 412


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "a\u202eb"}, "name"),
        ({"name": "ok", "probability": 101}, "probability"),
        ({"name": "ok", "probability": "50"}, "probability"),
        ({"name": "ok", "type": "closed"}, "type"),
        ({"name": "ok", "archived": "yes"}, "archived"),
        ({"name": "ok", "colour": "red"}, "colour"),
    ],
)
def test_invalid_stage_bodies_are_422_naming_the_field(api, body, field):
    api("GET", "/api/v1/pipelines")
    status, _, answer = api("POST", "/api/v1/pipelines/1/stages", body)
    assert (status, answer["code"]) == (422, "VALIDATION_FAILED")
    assert field in answer["errors"]


def test_patch_cannot_clear_a_name(api):
    api("GET", "/api/v1/pipelines")
    status, _, body = api("PATCH", "/api/v1/pipelines/1", {"name": None})
    assert status == 422 and "name" in body["errors"]


def _put_leads(tenant, stage_id, n):
    client = boto3.client("dynamodb")
    for _ in range(n):
        client.transact_write_items(TransactItems=[counts.change(tenant, keys.STAGE, stage_id, 1)])


def test_deleting_a_stage_or_pipeline_in_use_is_409_with_the_count_and_archiving_works(api):
    api("GET", "/api/v1/pipelines")
    _put_leads("acme", 2, 3)

    status, _, body = api("DELETE", "/api/v1/pipelines/1/stages/2")
    assert (status, body["code"], body["lead_count"]) == (409, "RESOURCE_IN_USE", 3)
    status, _, body = api("DELETE", "/api/v1/pipelines/1")
    assert (status, body["code"], body["lead_count"]) == (409, "RESOURCE_IN_USE", 3)

    status, _, body = api("PATCH", "/api/v1/pipelines/1/stages/2", {"archived": True})
    assert (status, body["data"]["archived"], body["data"]["lead_count"]) == (200, True, 3)
    assert api("GET", "/api/v1/pipelines/1/stages/2")[2]["data"]["archived"] is True

    status, _, _ = api("DELETE", "/api/v1/pipelines/1/stages/3")
    assert status == 204
    assert [s["id"] for s in api("GET", "/api/v1/pipelines/1")[2]["data"]["stages"]] == [1, 2, 4, 5, 6]
    assert api("GET", "/api/v1/pipelines/1/stages/3")[0] == 404


def test_deleting_an_empty_pipeline_deletes_its_stages(api):
    api("GET", "/api/v1/pipelines")
    other = api("POST", "/api/v1/pipelines", {"name": "Empty", "stages": [{"name": "A"}]})[2]["data"]
    assert api("DELETE", f"/api/v1/pipelines/{other['id']}")[0] == 204
    assert api("GET", f"/api/v1/pipelines/{other['id']}")[0] == 404
    assert api("GET", f"/api/v1/pipelines/{other['id']}/stages/{other['stages'][0]['id']}")[0] == 404


def test_ids_are_never_reused_after_a_delete(api):
    api("GET", "/api/v1/pipelines")
    made = api("POST", "/api/v1/pipelines", {"name": "Temp", "stages": [{"name": "A"}]})[2]["data"]
    api("DELETE", f"/api/v1/pipelines/{made['id']}")
    again = api("POST", "/api/v1/pipelines", {"name": "Next", "stages": [{"name": "B"}]})[2]["data"]
    assert again["id"] == made["id"] + 1
    assert again["stages"][0]["id"] == made["stages"][0]["id"] + 1


def test_a_stage_is_added_at_its_position_and_a_pipeline_holds_at_most_50(api):
    api("GET", "/api/v1/pipelines")
    status, headers, body = api("POST", "/api/v1/pipelines/1/stages", {"name": "Demo", "position": 3})
    assert status == 201
    assert headers["Location"].endswith(f"/api/v1/pipelines/1/stages/{body['data']['id']}")
    assert (body["data"]["position"], body["data"]["lead_count"]) == (3, 0)
    assert _names(api("GET", "/api/v1/pipelines/1")[2]["data"])[2] == "Demo"

    big = api("POST", "/api/v1/pipelines", {"name": "Big", "stages": [{"name": f"s{i}"} for i in range(50)]})
    assert big[0] == 201
    status, _, body = api("POST", f"/api/v1/pipelines/{big[2]['data']['id']}/stages", {"name": "one too many"})
    assert status == 422
