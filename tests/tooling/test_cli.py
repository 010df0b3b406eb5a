"""The client registry and the `leadgate` admin CLI against moto: create, list, disable."""

from __future__ import annotations

import base64
import json

import boto3
import pytest

from leadgate.auth.clients import get_client
from leadgate_admin.cli import main
from leadgate_admin.clients import (
    ClientRegistry,
    ClientSpecError,
    UnknownClient,
    create_client,
    disable_client,
    list_clients,
)
from leadgate_dev.local import cognito as local_cognito
from leadgate_dev.local.usage_plans import ensure_usage_plans


def registry_item(aws, client_id: str) -> dict:
    return (
        boto3.client("dynamodb")
        .get_item(TableName=aws.tables["CLIENTS_TABLE"], Key={"client_id": {"S": client_id}}, ConsistentRead=True)
        .get("Item")
    )


def app_client(aws, client_id: str) -> dict:
    return boto3.client("cognito-idp").describe_user_pool_client(UserPoolId=aws.user_pool_id, ClientId=client_id)[
        "UserPoolClient"
    ]


def pool_clients(aws) -> list[dict]:
    return boto3.client("cognito-idp").list_user_pool_clients(UserPoolId=aws.user_pool_id, MaxResults=60)[
        "UserPoolClients"
    ]


def token_answer(aws, client: dict) -> tuple[int, dict]:
    credentials = base64.b64encode(f"{client['client_id']}:{client['client_secret']}".encode()).decode()
    return local_cognito.issue_token(
        boto3.client("cognito-idp"),
        aws.user_pool_id,
        {"grant_type": "client_credentials"},
        f"Basic {credentials}",
        "https://issuer.example",
    )


# ---------------------------------------------------------------- the registry


def test_create_client_makes_a_cognito_client_and_a_registry_item_without_the_secret(aws):
    created = create_client("acme", ["read:leads", "write:leads"], "Acme CRM")

    assert set(created) == {"client_id", "client_secret", "tenant", "scopes"}
    assert (created["tenant"], created["scopes"]) == ("acme", ["read:leads", "write:leads"])
    cognito = app_client(aws, created["client_id"])
    assert cognito["ClientSecret"] == created["client_secret"]
    assert cognito["AllowedOAuthFlows"] == ["client_credentials"]
    assert cognito["AllowedOAuthFlowsUserPoolClient"] is True
    assert cognito["AllowedOAuthScopes"] == ["leadgate/read:leads", "leadgate/write:leads"]
    item = registry_item(aws, created["client_id"])
    assert item["tenant"] == {"S": "acme"}
    assert item["enabled"] == {"BOOL": True}
    assert item["tier"] == {"S": "standard"}
    assert item["name"] == {"S": "Acme CRM"}
    assert created["client_secret"] not in json.dumps(item)
    assert token_answer(aws, created)[0] == 200


def test_default_scopes_are_every_scope_of_the_resource_server(aws):
    created = create_client("acme")

    assert created["scopes"] == list(aws.scopes)
    assert get_client(created["client_id"]).name == "acme"


@pytest.mark.parametrize("tenant", ["Acme", "a", "-acme", "acme-", "ac_me", "a" * 41, "acme corp", ""])
def test_invalid_tenant_slug_creates_nothing(aws, tenant):
    with pytest.raises(ClientSpecError, match="tenant"):
        create_client(tenant, ["read:leads"])

    assert pool_clients(aws) == []


@pytest.mark.parametrize("tenant", ["ab", "acme", "acme-corp-2", "a" * 40, "0x"])
def test_valid_tenant_slugs(aws, tenant):
    assert create_client(tenant, ["read:leads"])["tenant"] == tenant


@pytest.mark.parametrize(
    ("scopes", "message"),
    [(["read:leads", "admin:all"], "admin:all"), ([], "at least one scope"), (["leadgate/read:leads"], "Unknown")],
)
def test_bad_scopes_create_nothing(aws, scopes, message):
    with pytest.raises(ClientSpecError, match=message):
        create_client("acme", scopes)

    assert pool_clients(aws) == []


def test_bad_name_or_tier_creates_nothing(aws):
    with pytest.raises(ClientSpecError, match="name"):
        create_client("acme", ["read:leads"], name="<script>")
    with pytest.raises(ClientSpecError, match="tier"):
        create_client("acme", ["read:leads"], tier="Gold Plus")

    assert pool_clients(aws) == []


def test_registry_write_failure_leaves_no_cognito_client(aws):
    registry = ClientRegistry(
        dynamodb=boto3.client("dynamodb"),
        cognito=boto3.client("cognito-idp"),
        table="no-such-table",
        user_pool_id=aws.user_pool_id,
        scope_prefix=aws.resource_server,
    )

    with pytest.raises(Exception, match=r"ResourceNotFound|Requested resource not found"):
        registry.create("acme", ["read:leads"])

    assert pool_clients(aws) == []


def test_list_clients_by_tenant_and_all(aws):
    first = create_client("acme", ["read:leads"], "one")
    second = create_client("acme", ["write:leads"], "two")
    other = create_client("beta", ["read:leads"])

    assert [client.client_id for client in list_clients("acme")] == [first["client_id"], second["client_id"]]
    assert [client.client_id for client in list_clients("beta")] == [other["client_id"]]
    assert list_clients("gamma") == []
    assert {client.client_id for client in list_clients()} == {
        first["client_id"],
        second["client_id"],
        other["client_id"],
    }


def test_disable_client_flags_the_registry_and_stops_cognito_issuing(aws):
    created = create_client("acme", ["read:leads"], "Acme CRM")

    disabled = disable_client(created["client_id"])

    assert disabled.enabled is False
    assert disabled.disabled_at
    assert get_client(created["client_id"]).enabled is False
    cognito = app_client(aws, created["client_id"])
    assert cognito["AllowedOAuthFlowsUserPoolClient"] is False
    assert cognito["ClientName"] == "Acme CRM"
    assert token_answer(aws, created) == (400, {"error": "unauthorized_client"})


def test_disable_unknown_client(aws):
    with pytest.raises(UnknownClient):
        disable_client("no-such-client")


# ---------------------------------------------------------------- the CLI


@pytest.fixture
def local_dir(aws, tmp_path, monkeypatch):
    """A `.local` dir as the local stack writes it, describing the moto stack (moto needs no endpoints)."""
    (tmp_path / "stack.json").write_text(json.dumps(aws.to_json()))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, object, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def test_cli_create_list_disable_on_the_local_stack(aws, local_dir, capsys):
    where = ("--local-dir", str(local_dir))

    code, created, _ = run(
        capsys, "clients", "create", "--tenant", "acme", "--scopes", "read:leads", "write:leads", *where
    )
    assert code == 0
    assert set(created) == {"client_id", "client_secret", "tenant", "scopes"}
    assert created["scopes"] == ["read:leads", "write:leads"]

    code, listed, _ = run(capsys, "clients", "list", "--tenant", "acme", *where)
    assert code == 0
    assert [client["client_id"] for client in listed] == [created["client_id"]]
    assert listed[0]["enabled"] is True
    assert "client_secret" not in listed[0]
    assert created["client_secret"] not in json.dumps(listed)

    code, disabled, _ = run(capsys, "clients", "disable", created["client_id"], *where)
    assert code == 0
    assert disabled["enabled"] is False

    code, everyone, _ = run(capsys, "clients", "list", *where)
    assert [(client["client_id"], client["enabled"]) for client in everyone] == [(created["client_id"], False)]


def test_without_a_local_dir_the_cli_finds_the_nearest_running_stack_above_the_working_directory(
    aws, tmp_path, capsys, monkeypatch
):
    checkout = tmp_path / "checkout"
    (checkout / ".local").mkdir(parents=True)
    (checkout / ".local" / "stack.json").write_text(json.dumps(aws.to_json()))
    (checkout / "docs" / "deep").mkdir(parents=True)
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    monkeypatch.chdir(checkout / "docs" / "deep")

    code, listed, err = run(capsys, "clients", "list")
    assert code == 0, err
    assert listed == []

    monkeypatch.chdir(tmp_path)  # no stack here or above
    code, _, err = run(capsys, "clients", "list")
    assert code == 2
    assert f"No local stack at {tmp_path / '.local' / 'stack.json'}" in err


def test_cli_reads_the_local_dir_from_the_environment(aws, local_dir, capsys, monkeypatch):
    monkeypatch.setenv("LEADGATE_LOCAL_DIR", str(local_dir))

    code, created, _ = run(
        capsys, "clients", "create", "--tenant", "beta", "--name", "Beta portal", "--tier", "partner"
    )

    assert code == 0
    assert created["scopes"] == list(aws.scopes)
    assert get_client(created["client_id"]).tier == "partner"


def test_cli_errors_are_clear(aws, local_dir, tmp_path, capsys):
    code, out, err = run(capsys, "clients", "create", "--tenant", "Bad Slug", "--local-dir", str(local_dir))
    assert (code, out) == (2, None)
    assert "Invalid tenant slug" in err

    code, _, err = run(capsys, "clients", "disable", "no-such-client", "--local-dir", str(local_dir))
    assert code == 1
    assert "no-such-client" in err

    code, _, err = run(capsys, "clients", "list", "--local-dir", str(tmp_path / "nowhere"))
    assert code == 2
    assert "No local stack" in err

    with pytest.raises(SystemExit):
        main(["clients", "list", "--region", "eu-west-1", "--local-dir", str(local_dir)])
    assert "--region only applies with --stack" in capsys.readouterr().err


@pytest.mark.filterwarnings("ignore:Tried to parse AWS")
def test_cli_targets_a_deployed_stack_by_its_outputs(aws, capsys, monkeypatch):
    outputs = {
        "UserPoolId": aws.user_pool_id,
        "ClientsTable": aws.tables["CLIENTS_TABLE"],
        "ResourceServer": aws.resource_server,
    }
    boto3.client("cloudformation").create_stack(
        StackName="leadgate-dev",
        TemplateBody=json.dumps(
            {
                "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
                "Outputs": {key: {"Value": value} for key, value in outputs.items()},
            }
        ),
    )
    ensure_usage_plans(boto3.client("apigateway"), "leadgate-dev")  # as the deployed stack has them
    monkeypatch.setenv("LEADGATE_LOCAL_DIR", "/nonexistent")  # must not be read

    code, created, err = run(capsys, "clients", "create", "--tenant", "acme", "--stack", "leadgate-dev")
    assert code == 0, err
    code, listed, err = run(capsys, "clients", "list", "--stack", "leadgate-dev", "--region", "us-east-1")
    assert code == 0, err
    assert [client["client_id"] for client in listed] == [created["client_id"]]

    code, _, err = run(capsys, "clients", "list", "--stack", "no-such-stack")
    assert code == 2
    assert "no-such-stack" in err
