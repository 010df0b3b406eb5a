"""The tags catalog through the workspace and leads handlers on moto: tags added by any lead route appear with
exact counts, creation ahead of use, rename (and merge) and delete inline, ids, isolation, errors."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from leadgate.workspace import tag_changes
from leadgate_dev.harness import call
from leadgate_dev.harness.events import rest_event
from leadgate_dev.local.instances import load_instance
from tests.support.gateway import AUTHORIZER as CALLER
from tests.support.leads import LeadsApi
from tests.support.workspace import WorkspaceApi, run_jobs_queue


@pytest.fixture
def api(aws):
    return WorkspaceApi()


@pytest.fixture
def leads(aws):
    return LeadsApi()


@pytest.fixture(autouse=True)
def no_grace(monkeypatch):
    """The sweep's wait for lead writes in flight (a minute) is not needed when nothing else writes."""
    monkeypatch.setattr(tag_changes, "GRACE_SECONDS", 0.0)


def _by_name(api: WorkspaceApi) -> dict[str, dict]:
    return {tag["name"]: tag for tag in api.tags()}


def test_tags_added_by_lead_routes_appear_with_exact_counts(api, leads):
    first = leads.create(tags=["VIP", "hot"])
    second = leads.create(tags=["vip"])
    assert leads.call("POST", f"/api/v1/leads/{second['id']}/tags", body={"tag": "new-one"}).status == 200
    assert leads.call("DELETE", f"/api/v1/leads/{first['id']}/tags/hot").status == 204

    tags = _by_name(api)
    assert {name: tag["lead_count"] for name, tag in tags.items()} == {"vip": 2, "hot": 0, "new-one": 1}
    assert [tag["name"] for tag in api.tags()] == ["hot", "new-one", "vip"]
    assert [tag["name"] for tag in api.tags(sort="-lead_count")] == ["vip", "new-one", "hot"]

    assert leads.call("DELETE", f"/api/v1/leads/{second['id']}").status == 204
    assert _by_name(api)["vip"]["lead_count"] == 1
    assert WorkspaceApi("beta").tags() == []


def test_concurrent_writes_of_one_new_tag_make_one_catalog_entry(api):
    """Each thread its own handler instance, as Lambda runs one request per instance at a time."""
    instances = [load_instance("leads", 200 + index) for index in range(8)]
    start = threading.Barrier(8)

    def create(index: int) -> list[int]:
        start.wait()
        statuses = []
        for n in range(2):
            body = {"first_name": "P", "email": f"p{index}-{n}@example.com", "tags": ["launch"]}
            event = rest_event(
                "POST", "/api/v1/leads", body=body, headers={"Host": "api.example.com"}, authorizer=CALLER
            )
            statuses.append(call(instances[index], event, budget_ms=30_000).status)
        return statuses

    with ThreadPoolExecutor(8) as pool:
        assert [status for statuses in pool.map(create, range(8)) for status in statuses] == [201] * 16
    tags = api.tags()
    assert [(tag["name"], tag["lead_count"]) for tag in tags] == [("launch", 16)]


def test_a_tag_made_ahead_of_use_is_read_patched_and_taken_by_leads(api, leads):
    created = api.call("POST", "/api/v1/tags", body={"name": "Partner", "color": "#ff8800", "description": "代理店"})
    assert created.status == 201, created.body
    tag = created.body["data"]
    assert (tag["name"], tag["color"], tag["lead_count"]) == ("partner", "#ff8800", 0)
    assert created.headers["Location"].endswith(f"/api/v1/tags/{tag['id']}")
    assert api.call("POST", "/api/v1/tags", body={"name": "partner"}).status == 409

    leads.create(tags=["partner"])
    read = api.call("GET", f"/api/v1/tags/{tag['id']}")
    assert (read.status, read.body["data"]["lead_count"]) == (200, 1)
    patched = api.call("PATCH", f"/api/v1/tags/{tag['id']}", body={"color": None})
    assert (patched.status, patched.body["data"]["color"], patched.body["data"]["description"]) == (200, None, "代理店")


@pytest.mark.parametrize("path", ["/api/v1/tags/999", "/api/v1/tags/01", "/api/v1/tags/abc", "/api/v1/jobs/7"])
def test_what_is_not_there_is_404(api, path):
    assert api.call("GET", path).status == 404


def test_another_tenants_tag_is_404(api):
    tag = api.call("POST", "/api/v1/tags", body={"name": "secret"}).body["data"]
    other = WorkspaceApi("beta")
    assert other.call("GET", f"/api/v1/tags/{tag['id']}").status == 404
    assert other.call("PATCH", f"/api/v1/tags/{tag['id']}", body={"name": "mine"}).status == 404
    assert other.call("DELETE", f"/api/v1/tags/{tag['id']}").status == 404


@pytest.mark.parametrize(
    "body",
    [{"name": "a b"}, {"name": ""}, {"color": "red", "name": "x"}, {"name": "x", "extra": 1}, {"name": 5}],
)
def test_bad_bodies_are_422(api, body):
    reply = api.call("POST", "/api/v1/tags", body=body)
    assert reply.status == 422, reply.body


def test_a_rename_changes_every_lead_keeps_the_id_and_frees_the_old_name(api, leads):
    holders = [leads.create(email=f"r{n}@example.com", tags=["old", "keep"]) for n in range(3)]
    tag = _by_name(api)["old"]

    renamed = api.call("PUT", f"/api/v1/tags/{tag['id']}", body={"name": "New"})
    assert renamed.status == 200, renamed.body
    assert (renamed.body["data"]["id"], renamed.body["data"]["name"]) == (tag["id"], "new")
    for lead in holders:
        assert leads.get(lead["id"]).data["tags"] == ["new", "keep"]
    assert leads.list(tag="new").body["meta"]["total"] == 3
    assert leads.list(tag="old").body["data"] == []
    run_jobs_queue()  # the sweep

    again = leads.create(tags=["old"])
    tags = _by_name(api)
    assert (tags["new"]["id"], tags["new"]["lead_count"]) == (tag["id"], 3)
    assert tags["old"]["id"] != tag["id"] and tags["old"]["lead_count"] == 1
    assert leads.get(again["id"]).data["tags"] == ["old"]


def test_a_rename_onto_an_existing_name_merges_the_two(api, leads):
    both = leads.create(email="both@example.com", tags=["a", "b"])
    only_a = leads.create(email="a@example.com", tags=["a"])
    only_b = leads.create(email="b@example.com", tags=["b"])
    tags = _by_name(api)

    merged = api.call("PATCH", f"/api/v1/tags/{tags['a']['id']}", body={"name": "b"})
    assert merged.status == 200, merged.body
    assert merged.body["data"]["id"] == tags["b"]["id"]
    run_jobs_queue()
    for lead in (both, only_a, only_b):
        assert leads.get(lead["id"]).data["tags"] == ["b"]
    assert [(tag["name"], tag["lead_count"]) for tag in api.tags()] == [("b", 3)]
    assert api.call("GET", f"/api/v1/tags/{tags['a']['id']}").status == 404


def test_a_delete_removes_the_tag_from_every_lead(api, leads):
    holders = [leads.create(email=f"d{n}@example.com", tags=["gone", "stays"]) for n in range(3)]
    tag = _by_name(api)["gone"]
    assert api.call("DELETE", f"/api/v1/tags/{tag['id']}").status == 204
    run_jobs_queue()
    for lead in holders:
        assert leads.get(lead["id"]).data["tags"] == ["stays"]
    assert [tag["name"] for tag in api.tags()] == ["stays"]
    assert api.call("GET", f"/api/v1/tags/{tag['id']}").status == 404
    assert api.call("DELETE", f"/api/v1/tags/{tag['id']}").status == 404


def test_if_match_guards_a_tag_change(api):
    created = api.call("POST", "/api/v1/tags", body={"name": "guarded"})
    tag_id = created.body["data"]["id"]
    stale = api.call("PATCH", f"/api/v1/tags/{tag_id}", body={"color": "#000000"}, headers={"If-Match": '"x"'})
    assert stale.status == 412
