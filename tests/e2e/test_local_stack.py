"""The local stack over HTTP: the gateway's answers, the real authorizer with its cache, restarts, fallbacks."""

import json
import socket
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

import boto3
import pytest
import requests

from tests.support.stack import request_token, running_stack, stop_stack

pytestmark = pytest.mark.e2e


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_envelope(response, status, code):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error"
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert body["errors"] == {}
    assert_request_id(response)
    return body


def assert_request_id(response):
    request_id = response.headers.get("X-Request-Id")
    assert request_id
    uuid.UUID(request_id)
    return request_id


def port_is_open(endpoint):
    parts = urlsplit(endpoint)
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((parts.hostname, parts.port)) == 0


# ------------------------------------------------------------------ the gateway's answers


def test_health_over_http(local_stack):
    response = local_stack.session.get(local_stack.url("/api/v1/health"))

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.headers["Content-Type"].startswith("application/json")
    assert_request_id(response)


@pytest.mark.parametrize(("method", "path"), [("GET", "/api/v1/nope"), ("GET", "/"), ("DELETE", "/api/v1/nope")])
def test_unknown_route_is_a_404_envelope(local_stack, method, path):
    response = local_stack.session.request(method, local_stack.url(path))

    assert_envelope(response, 404, "NOT_FOUND")


def test_undeclared_method_on_a_public_path_is_a_405_envelope_with_allow(local_stack):
    response = local_stack.session.delete(local_stack.url("/api/v1/health"))

    assert_envelope(response, 405, "METHOD_NOT_ALLOWED")
    assert response.headers["Allow"] == "GET"


@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer not-a-jwt"}, {"Authorization": "Basic abc"}])
def test_protected_route_without_a_valid_token_is_a_401_envelope(local_stack, headers):
    response = local_stack.session.get(local_stack.url("/api/v1/usage"), headers=headers)

    assert_envelope(response, 401, "UNAUTHORIZED")
    assert response.headers["WWW-Authenticate"] == "Bearer"


def test_every_response_has_its_own_request_id(local_stack):
    ids = {
        assert_request_id(local_stack.session.get(local_stack.url(path)))
        for path in ["/api/v1/health", "/api/v1/health", "/api/v1/nope", "/api/v1/usage"]
    }

    assert len(ids) == 4


def test_files_describe_the_running_stack(local_stack):
    demo = local_stack.demo_client
    description = local_stack.description

    assert demo["tenant"] == "demo"
    assert demo["api_url"] == local_stack.base_url
    assert demo["token_url"] == f"{local_stack.base_url}/oauth2/token"
    assert demo["client_id"] and demo["client_secret"]
    assert description["api_url"] == local_stack.base_url
    assert set(description["tables"]) == {
        "LEADS_TABLE",
        "CLIENTS_TABLE",
        "RATE_LIMIT_TABLE",
        "IDEMPOTENCY_TABLE",
        "WEBHOOK_EVENTS_TABLE",
        "SYNC_TABLE",
        "CONNECTIONS_TABLE",
        "WORKSPACE_TABLE",
        "EVENTS_TABLE",
        "OUTBOUND_WEBHOOKS_TABLE",
    }
    assert set(description["queues"]) == {
        "WebhookQueue",
        "WebhookDeadLetterQueue",
        "SyncSchedulesDeadLetterQueue",
        "JobsQueue",
        "JobsDeadLetterQueue",
        "EventStreamFailureQueue",
        "DeliveriesQueue",
        "DeliveriesDeadLetterQueue",
        "WebhookDispatchFailureQueue",
        "AutomationsQueue",
        "AutomationsDeadLetterQueue",
        "AutomationRunFailureQueue",
    }
    assert description["queues"]["JobsQueue"].endswith(".fifo")
    assert description["sync"]["schedule_group"] == description["environment"]["SYNC_SCHEDULE_GROUP"]
    assert description["environment"]["WEBHOOK_QUEUE_URL"] == description["queues"]["WebhookQueue"]
    assert description["dynamodb_backend"] in ("dynamodb-local", "moto")
    assert (local_stack.data_dir / "demo-client.json").stat().st_mode & 0o077 == 0  # a secret: owner only


# ------------------------------------------------------------------ tokens and the real authorizer


def test_demo_client_token_round_trip(local_stack):
    response = request_token(local_stack.token_url, local_stack.demo_client)
    assert response.status_code == 200, response.text
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] == 3600

    usage = local_stack.session.get(local_stack.url("/api/v1/usage"), headers=bearer(token["access_token"]))

    assert usage.status_code == 200, usage.text
    assert usage.json()["data"]["tenant"] == "demo"
    assert usage.json()["data"]["client_id"] == local_stack.demo_client["client_id"]
    assert_request_id(usage)


def test_wrong_secret_gets_no_token(local_stack):
    client = {**local_stack.demo_client, "client_secret": "wrong"}

    response = request_token(local_stack.token_url, client)

    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_token_without_the_routes_scope_is_a_403_envelope(local_stack):
    reader = local_stack.admin_json("clients", "create", "--tenant", "readers", "--scopes", "read:leads")
    token = local_stack.token(reader)

    response = local_stack.session.post(local_stack.url("/api/v1/leads"), headers=bearer(token), json={})

    assert_envelope(response, 403, "FORBIDDEN")


def test_handlers_see_the_cached_authorizer_context_until_its_ttl_expires(local_stack):
    client = local_stack.admin_json("clients", "create", "--tenant", "cached", "--tier", "standard")
    token = local_stack.token(client)
    url = local_stack.url("/api/v1/usage")
    assert local_stack.session.get(url, headers=bearer(token)).json()["data"]["tier"] == "standard"
    cached_at = time.monotonic()

    # Change what the authorizer would answer (the registry's tier), behind the API's back.
    boto3.client(
        "dynamodb",
        endpoint_url=local_stack.description["endpoints"]["dynamodb"],
        region_name=local_stack.description["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    ).update_item(
        TableName=local_stack.description["tables"]["CLIENTS_TABLE"],
        Key={"client_id": {"S": client["client_id"]}},
        UpdateExpression="SET tier = :tier",
        ExpressionAttributeValues={":tier": {"S": "partner"}},
    )
    cached = local_stack.session.get(url, headers=bearer(token)).json()["data"]["tier"]
    assert time.monotonic() - cached_at < local_stack.auth_cache_ttl, "too slow to see the cached policy"
    time.sleep(local_stack.auth_cache_ttl)
    fresh = local_stack.session.get(url, headers=bearer(token)).json()["data"]["tier"]

    assert (cached, fresh) == ("standard", "partner")


def test_concurrent_requests_are_served_side_by_side(local_stack):
    # The partner tier's burst (100) lets 32 requests at once through the usage plan.
    client = local_stack.admin_json("clients", "create", "--tenant", "crowd", "--tier", "partner")
    token = local_stack.token(client)
    url = local_stack.url("/api/v1/usage")
    barrier = threading.Barrier(32)

    def call(_):
        barrier.wait()
        response = requests.get(url, headers=bearer(token), timeout=30)
        return response.status_code, response.headers.get("X-Request-Id")

    with ThreadPoolExecutor(32) as executor:
        results = list(executor.map(call, range(32)))

    assert [status for status, _ in results] == [200] * 32
    assert len({request_id for _, request_id in results}) == 32


def test_keep_alive_requests_do_not_stall(local_stack):
    session = requests.Session()
    session.get(local_stack.url("/api/v1/health"))

    started = time.perf_counter()
    for _ in range(20):
        assert session.get(local_stack.url("/api/v1/health")).status_code == 200
    per_request = (time.perf_counter() - started) / 20

    # Without TCP_NODELAY each keep-alive request waits about 40 ms for a delayed ACK.
    assert per_request < 0.035, per_request


# ------------------------------------------------------------------ restarts and fallbacks


def test_restart_keeps_dynamodb_data_and_replaces_the_demo_client(tmp_path):
    data_dir = tmp_path / "stack"
    process, stack = running_stack(data_dir)
    try:
        if stack.description["dynamodb_backend"] != "dynamodb-local":
            pytest.skip("DynamoDB Local is not available here (no Java or npm): nothing survives a restart")
        kept = stack.admin_json("clients", "create", "--tenant", "kept")
        old_demo = stack.demo_client
        dynamodb_endpoint = stack.description["endpoints"]["dynamodb"]
    finally:
        assert stop_stack(process) == 0
    assert not (data_dir / "stack.json").exists()
    assert not port_is_open(dynamodb_endpoint), "DynamoDB Local still runs after a clean stop"

    process, stack = running_stack(data_dir)
    try:
        clients = {client["client_id"]: client for client in stack.admin_json("clients", "list")}
        new_demo = stack.demo_client
        token = stack.token()
        usage = requests.get(stack.url("/api/v1/usage"), headers=bearer(token), timeout=10)
    finally:
        stop_stack(process)

    assert kept["client_id"] in clients  # the registry lives in DynamoDB Local's files
    assert new_demo["client_id"] != old_demo["client_id"]  # the demo client is replaced on every start
    assert old_demo["client_id"] not in clients
    assert new_demo["client_id"] in clients
    assert usage.status_code == 200


def test_without_dynamodb_local_the_stack_runs_on_moto_and_says_so(tmp_path):
    data_dir = tmp_path / "stack"
    process, stack = running_stack(data_dir, LEADGATE_LOCAL_DYNAMODB="moto")
    try:
        token = stack.token()
        usage = requests.get(stack.url("/api/v1/usage"), headers=bearer(token), timeout=10)
        description = json.loads((data_dir / "stack.json").read_text())
    finally:
        stop_stack(process)

    assert description["dynamodb_backend"] == "moto"
    assert description["endpoints"]["dynamodb"] == description["endpoints"]["cognito-idp"]
    assert "DynamoDB runs on moto" in stack.log()
    assert usage.status_code == 200
