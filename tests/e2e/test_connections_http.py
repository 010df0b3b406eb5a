"""Connections on the local stack: created with the CLI, read over HTTP, and kept with their secrets,
API clients and API keys across a real restart (leadgate_admin.local_state, leadgate_dev.local.state)."""

from __future__ import annotations

import json

import boto3
import pytest
import requests

from tests.support.stack import request_token, running_stack, stop_stack

pytestmark = pytest.mark.e2e


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def secret_value(stack, arn: str, stage: str = "AWSCURRENT") -> dict:
    client = boto3.client(
        "secretsmanager",
        endpoint_url=stack.description["endpoints"]["default"],
        region_name=stack.description["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return json.loads(client.get_secret_value(SecretId=arn, VersionStage=stage)["SecretString"])


def registry_item(stack, connection_id: str) -> dict:
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.description["endpoints"]["dynamodb"],
        region_name=stack.description["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    return client.get_item(
        TableName=stack.description["tables"]["CONNECTIONS_TABLE"], Key={"connection_id": {"S": connection_id}}
    )["Item"]


def test_connections_api_over_http(local_stack):
    created = local_stack.admin_json("connections", "create", "--tenant", "conn-http", "--provider", "standard")
    other = local_stack.admin_json("connections", "create", "--tenant", "conn-other", "--provider", "standard")
    reader = local_stack.admin_json(
        "clients", "create", "--tenant", "conn-http", "--scopes", "read:integrations", "read:leads"
    )
    leads_only = local_stack.admin_json("clients", "create", "--tenant", "conn-http", "--scopes", "read:leads")
    token = local_stack.token(reader)

    listed = requests.get(local_stack.url("/api/v1/connections"), headers=bearer(token), timeout=10)
    shown = requests.get(local_stack.url(f"/api/v1/connections/{created['connection_id']}"), headers=bearer(token))
    foreign = requests.get(local_stack.url(f"/api/v1/connections/{other['connection_id']}"), headers=bearer(token))
    unscoped = requests.get(local_stack.url("/api/v1/connections"), headers=bearer(local_stack.token(leads_only)))

    assert listed.status_code == 200, listed.text
    assert [item["connection_id"] for item in listed.json()["data"]] == [created["connection_id"]]
    assert shown.status_code == 200
    assert shown.json()["data"]["provider"] == "standard"
    assert created["signing_secret"] not in listed.text + shown.text
    assert "secret_arn" not in shown.json()["data"]
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "NOT_FOUND"
    assert unscoped.status_code == 403
    assert created["webhook_url"] == f"{local_stack.base_url}/webhooks/{created['connection_id']}"


def test_clients_keys_connections_and_secrets_survive_a_restart(tmp_path):
    data_dir = tmp_path / "stack"
    process, stack = running_stack(data_dir)
    try:
        if stack.description["dynamodb_backend"] != "dynamodb-local":
            pytest.skip("DynamoDB Local is not available here: the registries do not survive a restart")
        client = stack.admin_json("clients", "create", "--tenant", "keeper", "--scopes", "read:integrations")
        connection = stack.admin_json("connections", "create", "--tenant", "keeper", "--provider", "standard")
        hubspot = stack.admin_json(
            "connections", "create", "--tenant", "keeper", "--provider", "hubspot", "--portal-id", "123",
            "--app-id", "456", "--client-id", "cid", "--client-secret", "hs-secret", "--refresh-token", "rt-1",
        )  # fmt: skip
        rotated = stack.admin_json("connections", "rotate-secret", connection["connection_id"])
        token_before = request_token(stack.token_url, client).json()["access_token"]
        user_pool_before = stack.description["user_pool_id"]
        arn = registry_item(stack, connection["connection_id"])["secret_arn"]["S"]
        assert (data_dir / "state.json").stat().st_mode & 0o077 == 0
    finally:
        assert stop_stack(process) == 0

    process, stack = running_stack(data_dir)
    try:
        fresh_token = request_token(stack.token_url, client)  # the same client id and secret
        headers = bearer(fresh_token.json()["access_token"]) if fresh_token.status_code == 200 else {}
        shown = requests.get(stack.url(f"/api/v1/connections/{connection['connection_id']}"), headers=headers)
        with_old_token = requests.get(stack.url("/api/v1/connections"), headers=bearer(token_before), timeout=10)
        current = secret_value(stack, arn)
        previous = secret_value(stack, arn, "AWSPREVIOUS")
        hubspot_arn = registry_item(stack, hubspot["connection_id"])["secret_arn"]["S"]
        hubspot_secrets = secret_value(stack, hubspot_arn)
        user_pool_after = stack.description["user_pool_id"]
        listed = stack.admin_json("clients", "list", "--tenant", "keeper")
        demo_client_id = stack.demo_client["client_id"]
    finally:
        stop_stack(process)
    state = json.loads((data_dir / "state.json").read_text())

    assert fresh_token.status_code == 200, fresh_token.text
    assert shown.status_code == 200, shown.text
    assert shown.json()["data"]["connection_id"] == connection["connection_id"]
    assert user_pool_after == user_pool_before
    assert with_old_token.status_code == 200, with_old_token.text  # same issuer: old tokens still verify
    assert current["signing_secret"] == rotated["signing_secret"]
    assert current["previous_signing_secret"] == connection["signing_secret"]
    assert previous["signing_secret"] == connection["signing_secret"]
    assert hubspot_secrets == {"client_id": "cid", "client_secret": "hs-secret", "refresh_token": "rt-1"}
    assert [entry["client_id"] for entry in listed] == [client["client_id"]]
    # The old demo client and its API key went with it: nothing piles up restart after restart.
    assert sorted(entry["ClientId"] for entry in state["app_clients"]) == sorted([client["client_id"], demo_client_id])
    assert sorted(key["name"] for key in state["api_keys"]) == sorted([client["client_id"], demo_client_id])
