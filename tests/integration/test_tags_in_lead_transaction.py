"""Names new to the tags catalog are put there in the lead's own transaction (docs/workspace.md, "Tags in the lead's
transaction"): nothing when the lead write fails, distinct ids under concurrency, and the catalog ahead of a lead
whose transaction has no room for it."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from leadgate_dev.harness import call
from leadgate_dev.harness.events import rest_event
from leadgate_dev.local.instances import load_instance
from tests.support.gateway import AUTHORIZER as CALLER
from tests.support.leads import LeadsApi
from tests.support.workspace import WorkspaceApi


@pytest.fixture
def api(aws):
    return WorkspaceApi()


@pytest.fixture
def leads(aws):
    return LeadsApi()


def test_a_failed_lead_write_leaves_no_catalog_entry(api, leads):
    refused = leads.call(
        "POST",
        "/api/v1/leads",
        body={"first_name": "P", "email": "p@example.com", "tags": ["ghost"], "assigned_user_id": 99},
    )
    assert refused.status == 422
    assert api.tags() == []
    # The name is free and its id was never taken: the next tag is 1.
    assert leads.create(tags=["ghost"])["tags"] == ["ghost"]
    assert [(tag["id"], tag["name"], tag["lead_count"]) for tag in api.tags()] == [(1, "ghost", 1)]


def test_concurrent_new_names_take_distinct_ids(api):
    """Each thread its own handler instance; every lead brings a name no other brings."""
    instances = [load_instance("leads", 300 + index) for index in range(6)]
    start = threading.Barrier(6)

    def create(index: int) -> list[int]:
        start.wait()
        statuses = []
        for n in range(2):
            body = {"first_name": "P", "email": f"p{index}-{n}@example.com", "tags": [f"t{index}-{n}", "shared"]}
            event = rest_event(
                "POST", "/api/v1/leads", body=body, headers={"Host": "api.example.com"}, authorizer=CALLER
            )
            statuses.append(call(instances[index], event, budget_ms=30_000).status)
        return statuses

    with ThreadPoolExecutor(6) as pool:
        assert [status for statuses in pool.map(create, range(6)) for status in statuses] == [201] * 12
    tags = api.tags()
    assert len({tag["id"] for tag in tags}) == len(tags) == 13
    counts = {tag["name"]: tag["lead_count"] for tag in tags}
    assert counts.pop("shared") == 12
    assert set(counts.values()) == {1}
    created = api.call("POST", "/api/v1/tags", body={"name": "after"})
    assert created.body["data"]["id"] not in {tag["id"] for tag in tags}  # the sequence moved past every id


def test_a_lead_with_too_many_new_names_for_one_transaction_still_lands(api, leads):
    names = [f"tag-{n:02}" for n in range(50)]
    lead = leads.create(tags=names)
    assert lead["tags"] == names
    tags = api.tags()
    assert sorted(tag["name"] for tag in tags) == names
    assert {tag["lead_count"] for tag in tags} == {1}
