"""GET /api/v1/connections/{id}/runs through the handler with API Gateway events: newest first, cursor
pagination, tenant isolation, the scope, and bad cursors."""

from __future__ import annotations

import boto3
import pytest

from leadgate.connections import registry as registry_module
from leadgate.connections.models import Connection
from leadgate.connections.registry import ConnectionRegistry
from leadgate.sync.runs import RunRecord, put_run
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event

T0 = 1_790_000_000


@pytest.fixture
def connection(aws):
    registry_module.clear_cache()
    registry = ConnectionRegistry(dynamodb=boto3.client("dynamodb"), table=aws.tables["CONNECTIONS_TABLE"])
    return registry.put(Connection(tenant_id="acme", provider="intercom", settings={"app_id": "abc"}))


@pytest.fixture
def call(invoke):
    def _call(path: str, *, tenant: str = "acme", query: dict | None = None, scopes=("read:integrations",)):
        event = rest_event(
            "GET",
            path,
            query=query,
            headers={"Host": "api.example.com"},
            authorizer=caller_context(tenant=tenant, scopes=scopes, client_id=f"client-{tenant}"),
        )
        return invoke("connections", event)

    return _call


def record_runs(connection: Connection, count: int) -> list[str]:
    ids = []
    for n in range(count):
        run_id = f"01J{n:023d}"
        put_run(
            RunRecord(
                run_id, "acme", connection.connection_id, "intercom", "succeeded", f"2026-11-30T00:0{n}:00+00:00"
            ),
            now=T0 + n,
        )
        ids.append(run_id)
    return ids


def test_runs_list_newest_first_page_by_page(connection, call):
    ids = record_runs(connection, 5)
    path = f"/api/v1/connections/{connection.connection_id}/runs"

    status, _, first = call(path, query={"per_page": "2"})
    assert status == 200
    assert [run["run_id"] for run in first["data"]] == [ids[4], ids[3]]
    assert first["data"][0]["status"] == "succeeded" and first["data"][0]["counts"]["fetched"] == 0
    assert first["meta"]["per_page"] == 2 and first["meta"]["next_cursor"]
    assert first["links"]["next"].startswith(f"https://api.example.com{path}?per_page=2&cursor=")

    seen = [run["run_id"] for run in first["data"]]
    cursor = first["meta"]["next_cursor"]
    while cursor:
        status, _, page = call(path, query={"per_page": "2", "cursor": cursor})
        assert status == 200
        seen += [run["run_id"] for run in page["data"]]
        cursor = page["meta"]["next_cursor"]
    assert seen == ids[::-1]


def test_another_tenants_connection_is_not_found(connection, call):
    record_runs(connection, 1)
    status, _, body = call(f"/api/v1/connections/{connection.connection_id}/runs", tenant="beta")
    assert status == 404 and body["status"] == "error" and body["code"] == "NOT_FOUND"


def test_an_unknown_or_malformed_id_is_not_found(aws, call):
    for connection_id in ("con_01J00000000000000000000000", "nope"):
        status, _, _ = call(f"/api/v1/connections/{connection_id}/runs")
        assert status == 404


def test_a_bad_cursor_or_page_size_is_a_4xx_envelope(connection, call):
    path = f"/api/v1/connections/{connection.connection_id}/runs"
    status, _, body = call(path, query={"cursor": "not-a-cursor"})
    assert status == 400 and body["code"] == "INVALID_CURSOR"
    status, _, body = call(path, query={"per_page": "1000"})
    assert status == 422 and "per_page" in body["errors"]


def test_a_connection_without_runs_lists_none(connection, call):
    status, _, body = call(f"/api/v1/connections/{connection.connection_id}/runs")
    assert status == 200 and body["data"] == [] and body["meta"]["next_cursor"] is None
