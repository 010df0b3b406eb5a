"""The event stream function through the harness, with the leads table's real stream records (moto): each change
journaled once with stable ids, redelivery journals nothing twice, a poison record is a batch item failure, and
`GET /api/v1/events` reads the journal (filters, cursor, tenant isolation)."""

from __future__ import annotations

import copy
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest

from leadgate import routes
from leadgate.events import journal
from leadgate_dev.harness import authorizer_context, call, handle
from leadgate_dev.harness.events import rest_event
from tests.support.leads import LeadsApi
from tests.support.streams import TableStream


@pytest.fixture
def stream(aws, monkeypatch):
    monkeypatch.setenv("AWS_ACCOUNT_ID_ENDPOINT_MODE", "disabled")  # moto's streams behind current botocore
    return TableStream(aws.tables["LEADS_TABLE"])


@pytest.fixture
def leads(aws):
    return LeadsApi("acme")


def journal_items(aws) -> list[dict]:
    return boto3.client("dynamodb").scan(TableName=aws.tables["EVENTS_TABLE"])["Items"]


def _cursor(link: str) -> str:
    return parse_qs(urlsplit(link).query)["cursor"][0]


def run(event: dict) -> dict:
    return handle("event_stream", event)


def events_api(tenant: str = "acme", scopes=("read:events",), **query):
    event = rest_event(
        "GET",
        "/api/v1/events",
        query={name: str(value) for name, value in query.items()},
        headers={"Host": "api.example.com"},
        authorizer=authorizer_context(tenant=tenant, scopes=scopes),
    )
    return call("events", event, budget_ms=30_000)


def test_a_create_and_a_patch_are_journaled_with_actor_sequence_and_changes(aws, stream, leads, clock):
    lead = leads.create(first_name="Hana", status="new", tags=["vip"])
    assert run(stream.take()) == {"batchItemFailures": []}
    patched = leads.call("PATCH", f"/api/v1/leads/{lead['id']}", body={"status": "contacted", "tags": ["hot"]})
    assert patched.status == 200, patched.body
    assert run(stream.take()) == {"batchItemFailures": []}
    assert events_api(order="oldest").body["data"] == []  # not yet settled: a write may still be in flight
    clock.now += journal.SETTLE_SECONDS + 1

    reply = events_api(order="oldest")
    assert reply.status == 200, reply.body
    events = reply.body["data"]
    assert [event["type"] for event in events] == [
        "lead.created",
        "lead.updated",
        "lead.tagged",
        "lead.untagged",
    ]
    created, updated, tagged, untagged = events
    assert created["actor"] == "client:client-acme" and created["sequence"] == 1
    assert created["data"]["first_name"] == "Hana" and created["lead_id"] == lead["id"]
    assert updated["sequence"] == 2
    assert updated["changed_fields"] == ["status", "tags"]
    assert updated["previous"] == {"status": "new", "tags": ["vip"]}
    assert (tagged["tag"], untagged["tag"]) == ("hot", "vip")
    assert len({event["id"] for event in events}) == 4
    again = events_api(order="oldest", cursor=_cursor(reply.body["links"]["next"]))
    assert again.body["data"] == [] and again.body["links"]["next"]  # nothing new yet: keep the cursor


def test_redelivery_gives_the_same_ids_and_no_duplicates(aws, stream, leads):
    leads.create(first_name="Ren")
    batch = stream.take()
    run(batch)
    first = {item["sk"]["S"] for item in journal_items(aws)}
    assert run(copy.deepcopy(batch)) == {"batchItemFailures": []}
    assert {item["sk"]["S"] for item in journal_items(aws)} == first
    assert len(first) == 1


def test_a_poison_record_alone_is_reported(aws, stream, leads):
    leads.create(first_name="Aoi")
    batch = stream.take()
    lead_records = [r for r in batch["Records"] if r["dynamodb"]["Keys"]["SK"]["S"].startswith("LEAD#")]
    poison = copy.deepcopy(lead_records[0])
    poison["dynamodb"]["NewImage"]["version"] = {"S": "not a number"}
    poison["dynamodb"]["SequenceNumber"] = "999999999999999999999"
    batch["Records"].insert(0, poison)

    answer = run(batch)

    assert answer == {"batchItemFailures": [{"itemIdentifier": "999999999999999999999"}]}
    assert len(journal_items(aws)) == 1  # the good record of the same batch was journaled


def test_delete_and_inquiries_on_a_known_lead(aws, stream, leads):
    lead = leads.create(first_name="Sora", email="sora@example.com")
    run(stream.take())
    assert leads.call("DELETE", f"/api/v1/leads/{lead['id']}").status == 204
    run(stream.take())
    types = [event["type"] for event in events_api().body["data"]]
    assert types == ["lead.deleted", "lead.created"]  # newest first by default
    deleted = events_api().body["data"][0]
    assert deleted["sequence"] == 2 and deleted["data"]["id"] == lead["id"]


def test_the_route_filters_pages_and_isolates_tenants(aws, stream, leads):
    first = leads.create(first_name="One")
    second = leads.create(first_name="Two")
    leads.call("PATCH", f"/api/v1/leads/{first['id']}", body={"status": "won"})
    LeadsApi("other").create(first_name="Elsewhere")
    run(stream.take())

    assert [e["lead_id"] for e in events_api(lead_id=first["id"]).body["data"]] == [first["id"]] * 2
    assert [e["type"] for e in events_api(type="lead.updated").body["data"]] == ["lead.updated"]
    assert len(events_api(type="lead.*").body["data"]) == 3
    assert [e["tenant"] for e in events_api(tenant="other").body["data"]] == ["other"]

    page = events_api(per_page=2)
    assert len(page.body["data"]) == 2 and page.body["links"]["next"]
    cursor = _cursor(page.body["links"]["next"])
    rest = events_api(per_page=2, cursor=cursor).body["data"]
    seen = [e["id"] for e in page.body["data"] + rest]
    assert len(seen) == len(set(seen)) == 3
    assert second["id"] in {e["lead_id"] for e in page.body["data"] + rest}

    assert events_api(per_page=2, cursor=cursor, type="lead.*").status == 400  # bound to its read
    assert events_api(tenant="other", per_page=2, cursor=cursor).status == 400
    assert events_api(order="sideways").status == 422
    assert events_api(type="lead created").status == 422
    assert events_api(lead_id="nope").status == 422
    assert routes.route_of("GET", "/api/v1/events").scopes == ("read:events",)  # the authorizer enforces it


def test_erase_lead_removes_its_events_only(aws, stream, leads):
    kept, erased = leads.create(first_name="Kept"), leads.create(first_name="Gone")
    leads.call("PATCH", f"/api/v1/leads/{erased['id']}", body={"status": "won"})
    run(stream.take())

    assert journal.erase_lead("acme", erased["id"]) == 2

    assert [e["lead_id"] for e in events_api().body["data"]] == [kept["id"]]


def test_a_finished_sync_run_and_a_disabled_connection_are_events(aws, stream, clock):
    from leadgate.connections.models import Connection
    from leadgate.connections.registry import ConnectionRegistry
    from leadgate.sync.runs import RunRecord, put_run

    registry = ConnectionRegistry(dynamodb=boto3.client("dynamodb"), table=aws.tables["CONNECTIONS_TABLE"])
    runs, connections = TableStream(aws.tables["SYNC_TABLE"]), TableStream(aws.tables["CONNECTIONS_TABLE"])
    connection = registry.put(Connection(tenant_id="acme", provider="standard", settings={}))
    running = RunRecord("01ARZ3NDEKTSV4RRFFQ69G5FAV", "acme", connection.connection_id, "standard", "running", "t0")
    put_run(running, now=clock.now)
    put_run(running.finished("succeeded", clock.now), now=clock.now)
    registry.disable(connection.connection_id)
    registry.disable(connection.connection_id)  # already off: no second event
    for table_stream in (runs, connections):
        batch = table_stream.take()
        assert run(batch) == {"batchItemFailures": []}
        run(batch)  # redelivered: nothing twice

    events = events_api().body["data"]
    assert [event["type"] for event in events] == ["integration.disabled", "sync.run_finished"]
    disabled, finished = events
    assert finished["data"]["status"] == "succeeded" and finished["actor"] == f"integration:{connection.connection_id}"
    assert disabled["data"]["connection_id"] == connection.connection_id and disabled["data"]["reason"] == "disabled"
    assert "secret_arn" not in disabled["data"]
