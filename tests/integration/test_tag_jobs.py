"""A rename and a delete of a tag held by 5,000 leads run as jobs: 202 with the job's URL, the worker driven with
real SQS events from moto's jobs queue, every lead changed, the count exact, a tag added meanwhile kept."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest

from leadgate import clock, dependencies
from leadgate.aws import dynamodb
from leadgate.leads import ids, repository
from leadgate.leads.records import StoredLead, iso
from leadgate.leads.requests import LeadData
from leadgate.settings import get_settings
from leadgate.workspace import tag_changes, tag_counts
from tests.support.leads import LeadsApi
from tests.support.workspace import WorkspaceApi, run_jobs_queue

HOLDERS = int(os.environ.get("TAG_JOB_HOLDERS", "5000"))


@pytest.fixture(autouse=True)
def no_grace(monkeypatch):
    monkeypatch.setattr(tag_changes, "GRACE_SECONDS", 0.0)


def _populate(tenant_id: str, tag: str, tag_id: int, size: int) -> list[str]:
    """`size` leads holding the tag, as `repository.create` would have written them (count included)."""
    now = clock.now()
    items, lead_ids = [], []
    for index in range(size):
        data = LeadData.model_validate({"first_name": f"Holder{index}", "tags": [tag, "kept"] if index % 2 else [tag]})
        stamp = iso(now)
        lead = StoredLead(
            id=ids.new_ulid(now + timedelta(milliseconds=index)),
            data=data,
            version=1,
            created_at=stamp,
            updated_at=stamp,
            search_tokens=data.search_tokens(),
            tag_ids={tag: tag_id},  # "kept" predates the catalog: held by name alone
        )
        lead_ids.append(lead.id)
        items += repository.new_lead_items(tenant_id, lead)
    table = get_settings().leads_table
    for first in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        dependencies.batch_write(dynamodb(), {table: requests})
    tag_counts.add(tenant_id, {tag_id: size})
    return lead_ids


def _tags_of(lead_ids: list[str]) -> list[list[str]]:
    return [
        lead.data.tags
        for first in range(0, len(lead_ids), 100)
        for lead in repository.get_many("acme", lead_ids[first : first + 100])
    ]


def _job_done(api: WorkspaceApi, reply) -> dict:
    assert reply.status == 202, reply.body
    job = reply.body["data"]
    assert reply.headers["Location"] == job["url"] and job["url"].endswith(f"/api/v1/jobs/{job['id']}")
    assert (job["status"], job["total"], job["done"]) == ("queued", HOLDERS, 0)
    assert run_jobs_queue() > HOLDERS // tag_changes.PAGE
    done = api.call("GET", f"/api/v1/jobs/{job['id']}")
    assert done.status == 200
    assert WorkspaceApi("beta").call("GET", f"/api/v1/jobs/{job['id']}").status == 404
    return done.body["data"]


def test_a_rename_then_a_delete_of_a_tag_held_by_5000_leads_run_as_jobs(aws):
    api, leads = WorkspaceApi(), LeadsApi()
    tag = api.call("POST", "/api/v1/tags", body={"name": "bulk"}).body["data"]
    holders = _populate("acme", "bulk", tag["id"], HOLDERS)
    assert api.call("GET", f"/api/v1/tags/{tag['id']}").body["data"]["lead_count"] == HOLDERS

    renamed = api.call("PATCH", f"/api/v1/tags/{tag['id']}", body={"name": "mass"})
    added_meanwhile = leads.create(email="late@example.com", tags=["bulk"])  # the old name is a new tag now
    job = _job_done(api, renamed)
    assert (job["status"], job["done"], job["total"]) == ("succeeded", HOLDERS, HOLDERS)

    assert _tags_of(holders) == [["mass", "kept"] if index % 2 else ["mass"] for index in range(HOLDERS)]
    catalog = {entry["name"]: entry for entry in api.tags()}
    assert (catalog["mass"]["id"], catalog["mass"]["lead_count"]) == (tag["id"], HOLDERS)
    assert catalog["bulk"]["lead_count"] == 1 and catalog["bulk"]["id"] != tag["id"]
    assert leads.get(added_meanwhile["id"]).data["tags"] == ["bulk"]
    assert repository.tagged("acme", "mass", after=None, limit=HOLDERS + 1)[0] == holders

    deleted = api.call("DELETE", f"/api/v1/tags/{tag['id']}")
    job = _job_done(api, deleted)
    assert (job["status"], job["done"], job["total"]) == ("succeeded", HOLDERS, HOLDERS)
    assert _tags_of(holders) == [["kept"] if index % 2 else [] for index in range(HOLDERS)]
    assert api.call("GET", f"/api/v1/tags/{tag['id']}").status == 404
    assert repository.tagged("acme", "mass", after=None, limit=10) == ([], None)
    assert "mass" not in {entry["name"] for entry in api.tags()}
    assert tag["id"] not in tag_counts.counts("acme")
