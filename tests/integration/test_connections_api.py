"""GET /api/v1/connections[/{id}] through the handler with API Gateway events: tenant isolation, no secrets,
cursor pagination and its errors."""

from __future__ import annotations

import json

import boto3
import pytest

from leadgate.connections import registry as registry_module
from leadgate.connections.models import Connection
from leadgate.connections.registry import ConnectionRegistry
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event

ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:leadgate/dev/connections/x-AbCdEf"


@pytest.fixture
def connections(aws):
    registry_module.clear_cache()
    return ConnectionRegistry(dynamodb=boto3.client("dynamodb"), table=aws.tables["CONNECTIONS_TABLE"])


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


def store(connections, tenant: str = "acme", provider: str = "standard", settings: dict | None = None) -> Connection:
    return connections.put(Connection(tenant_id=tenant, provider=provider, settings=settings or {}, secret_arn=ARN))


def test_get_answers_the_public_view(connections, call):
    stored = store(connections, provider="intercom", settings={"app_id": "abc123"})

    status, headers, body = call(f"/api/v1/connections/{stored.connection_id}")

    assert status == 200
    assert body["data"] == {
        "id": stored.connection_id,
        "connection_id": stored.connection_id,
        "tenant_id": "acme",
        "provider": "intercom",
        "settings": {"app_id": "abc123"},
        "base_url": "https://api.intercom.io",
        "enabled": True,
        "created_at": stored.public()["created_at"],
        "disabled_at": None,
        "sync_every": None,
        "sync_disabled_reason": None,
        "has_client_secret": False,
        "has_access_token": False,
    }
    assert headers["ETag"] == '"1"'
    assert "secret" not in json.dumps(body).replace("sync_disabled_reason", "").replace("has_client_secret", "")
    assert headers["X-Request-Id"]


@pytest.mark.parametrize("connection_id", ["con_01JD8X5Q9R0000000000000000", "nope", "con_" + "Z" * 26])
def test_unknown_or_malformed_ids_are_404(connections, call, connection_id):
    status, _, body = call(f"/api/v1/connections/{connection_id}")

    assert status == 404
    assert body["code"] == "NOT_FOUND"


def test_another_tenants_connection_is_a_404_like_a_missing_one(connections, call):
    theirs = store(connections, tenant="beta")

    status, _, body = call(f"/api/v1/connections/{theirs.connection_id}")
    _, _, missing = call("/api/v1/connections/con_01JD8X5Q9R0000000000000000")

    assert status == 404
    assert body["message"] == missing["message"]
    assert call(f"/api/v1/connections/{theirs.connection_id}", tenant="beta")[0] == 200


def test_list_pages_with_cursors_and_shows_only_the_callers_connections(connections, call):
    mine = [store(connections).connection_id for _ in range(5)]
    store(connections, tenant="beta")

    seen, query, pages = [], {"per_page": "2"}, []
    while True:
        status, _, body = call("/api/v1/connections", query=query)
        assert status == 200, body
        pages.append(body)
        seen += [item["connection_id"] for item in body["data"]]
        if not body["meta"]["next_cursor"]:
            break
        query = {"per_page": "2", "cursor": body["meta"]["next_cursor"]}

    assert seen == sorted(mine)
    assert [page["meta"]["current_page"] for page in pages][:3] == [1, 2, 3]
    assert pages[0]["meta"]["from"] == 1 and pages[0]["meta"]["to"] == 2
    assert pages[0]["links"]["next"].startswith("https://api.example.com/api/v1/connections?per_page=2&cursor=")
    assert pages[-1]["links"]["next"] is None
    assert pages[-1]["meta"]["total"] == 5
    assert all("secret_arn" not in item for page in pages for item in page["data"])


def test_list_of_a_tenant_without_connections_is_empty(aws, call):
    status, _, body = call("/api/v1/connections", tenant="nobody")

    assert status == 200
    assert body["data"] == []
    assert body["meta"]["next_cursor"] is None


def test_a_cursor_of_another_tenant_is_refused(connections, call):
    for _ in range(3):
        store(connections, tenant="beta")
    _, _, beta_page = call("/api/v1/connections", tenant="beta", query={"per_page": "1"})

    status, _, body = call("/api/v1/connections", query={"cursor": beta_page["meta"]["next_cursor"]})

    assert status == 400
    assert body["code"] == "INVALID_CURSOR"


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"cursor": "garbage!"}, 400, "INVALID_CURSOR"),
        ({"per_page": "0"}, 422, "VALIDATION_FAILED"),
        ({"per_page": "101"}, 422, "VALIDATION_FAILED"),
        ({"filter": "x"}, 422, "VALIDATION_FAILED"),
    ],
)
def test_bad_list_parameters_are_4xx_envelopes(aws, call, query, status, code):
    answer_status, _, body = call("/api/v1/connections", query=query)

    assert answer_status == status
    assert body["status"] == "error" and body["code"] == code


def test_without_a_caller_context_it_is_401(invoke, aws):
    event = rest_event("GET", "/api/v1/connections", headers={"Host": "api.example.com"})

    status, _, body = invoke("connections", event)

    assert status == 401
    assert body["code"] == "UNAUTHORIZED"
