"""`leadgate connections ...` against moto: options per provider, secrets from files and stdin, nothing left
behind by a failed create, the output never holding more than the one generated secret, and the local state."""

from __future__ import annotations

import base64
import io
import json

import boto3
import pytest

from leadgate.connections.models import is_connection_id
from leadgate.connections.registry import ConnectionRegistry
from leadgate.connections.secrets import ConnectionSecrets, SecretStore
from leadgate_admin import local_state
from leadgate_admin.cli import main
from leadgate_admin.connections import ConnectionAdmin, ConnectionSpecError, read_secret_option

API_URL = "http://127.0.0.1:3999"


@pytest.fixture
def local_dir(aws, tmp_path, monkeypatch):
    (tmp_path / "stack.json").write_text(json.dumps({**aws.to_json(), "api_url": API_URL, "stage": "local"}))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    return tmp_path


def run(capsys, local_dir, *argv: str) -> tuple[int, object, str]:
    code = main([*argv, "--local-dir", str(local_dir)])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def item(aws, connection_id: str) -> dict | None:
    return (
        boto3.client("dynamodb")
        .get_item(TableName=aws.tables["CONNECTIONS_TABLE"], Key={"connection_id": {"S": connection_id}})
        .get("Item")
    )


def stored_secrets(aws, connection_id: str) -> dict:
    arn = item(aws, connection_id)["secret_arn"]["S"]
    # AWSCURRENT named: moto answers a bare read with the version last put (leadgate.connections.secrets).
    answer = boto3.client("secretsmanager").get_secret_value(SecretId=arn, VersionStage="AWSCURRENT")
    return json.loads(answer["SecretString"])


def all_secret_names() -> list[str]:
    return [secret["Name"] for secret in boto3.client("secretsmanager").list_secrets()["SecretList"]]


def test_standard_connection_gets_a_generated_signing_secret_printed_once(aws, local_dir, capsys):
    code, created, _ = run(capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "standard")

    assert code == 0
    assert is_connection_id(created["connection_id"])
    assert (created["tenant"], created["provider"]) == ("acme", "standard")
    assert created["webhook_url"] == f"{API_URL}/webhooks/{created['connection_id']}"
    secret = created["signing_secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert stored_secrets(aws, created["connection_id"]) == {"signing_secret": secret}
    assert secret not in json.dumps(item(aws, created["connection_id"]))
    assert all_secret_names() == [f"leadgate/local/connections/{created['connection_id']}"]

    for argv in (("connections", "show", created["connection_id"]), ("connections", "list", "--tenant", "acme")):
        code, shown, _ = run(capsys, local_dir, *argv)
        assert code == 0
        assert secret not in json.dumps(shown) and "secret_arn" not in json.dumps(shown)


def test_hubspot_connection_with_secrets_from_a_file_and_stdin(aws, local_dir, capsys, monkeypatch, tmp_path):
    (tmp_path / "client-secret").write_text("hs-app-secret\n")
    monkeypatch.setattr("sys.stdin", io.StringIO("refresh-token-1\n"))

    code, created, _ = run(
        capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "hubspot",
        "--portal-id", "62515", "--app-id", "1234", "--client-id", "cid-1",
        "--client-secret", f"@{tmp_path / 'client-secret'}", "--refresh-token", "-",
    )  # fmt: skip

    assert code == 0, created
    assert created["settings"] == {"portal_id": "62515", "app_id": "1234", "allow_unversioned_signatures": False}
    assert created["base_url"] == "https://api.hubapi.com"
    assert "signing_secret" not in created
    assert stored_secrets(aws, created["connection_id"]) == {
        "client_id": "cid-1",
        "client_secret": "hs-app-secret",
        "refresh_token": "refresh-token-1",
    }


def test_intercom_and_chatdealer_connections(aws, local_dir, capsys):
    code, intercom, _ = run(
        capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "intercom",
        "--app-id", "abc123", "--client-secret", "ic-secret", "--access-token", "ic-token",
        "--base-url", "http://127.0.0.1:9999/intercom/",
    )  # fmt: skip
    assert code == 0
    assert intercom["base_url"] == "http://127.0.0.1:9999/intercom"
    assert stored_secrets(aws, intercom["connection_id"]) == {"client_secret": "ic-secret", "access_token": "ic-token"}

    code, chatdealer, _ = run(
        capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "chatdealer",
        "--domain", "Demo.ChatDealer.jp", "--api-token", "cd-token",
        "--field-map", json.dumps({"email": "メールアドレス", "last_name": "名前"}, ensure_ascii=False),
    )  # fmt: skip
    assert code == 0
    assert chatdealer["settings"]["field_map"] == {"email": "メールアドレス", "last_name": "名前"}
    assert chatdealer["base_url"] == "https://demo.chatdealer.jp"
    assert stored_secrets(aws, chatdealer["connection_id"]) == {"api_token": "cd-token"}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--provider", "hubspot", "--portal-id", "1", "--app-id", "2", "--client-id", "c", "--client-secret", "s"),
         "exactly one of --refresh-token or --access-token"),
        (("--provider", "hubspot", "--portal-id", "1", "--app-id", "2", "--client-id", "c", "--client-secret", "s",
          "--refresh-token", "r", "--access-token", "a"), "exactly one of"),
        (("--provider", "hubspot", "--app-id", "2", "--client-id", "c", "--client-secret", "s", "--access-token", "a"),
         "--portal-id"),
        (("--provider", "hubspot", "--portal-id", "12ab", "--app-id", "2", "--client-id", "c", "--client-secret", "s",
          "--access-token", "a"), "portal_id"),
        (("--provider", "intercom", "--app-id", "a", "--client-secret", "s"), "--access-token"),
        (("--provider", "standard", "--api-token", "t"), "--api-token do(es) not apply"),
        (("--provider", "chatdealer", "--domain", "x.example", "--api-token", "t", "--field-map", "{bad"),
         "not JSON"),
        (("--provider", "chatdealer", "--domain", "x.example", "--api-token", "t", "--field-map", '{"shoe": "x"}'),
         "unknown lead field"),
        (("--provider", "chatdealer", "--domain", "bad domain", "--api-token", "t", "--field-map", '{"email": "x"}'),
         "domain"),
        (("--provider", "standard", "--base-url", "ftp://x"), "base_url"),
        (("--provider", "intercom", "--app-id", "a", "--client-secret", "-", "--access-token", "-"), "standard input"),
        (("--provider", "chatdealer", "--domain", "x.example", "--api-token", "@/no/such/file",
          "--field-map", '{"email": "x"}'), "Cannot read"),
    ],
)  # fmt: skip
def test_bad_options_are_refused_and_create_nothing(aws, local_dir, capsys, argv, message):
    code, out, err = run(capsys, local_dir, "connections", "create", "--tenant", "acme", *argv)

    assert code == 2
    assert out is None
    assert message in err
    assert all_secret_names() == []
    assert boto3.client("dynamodb").scan(TableName=aws.tables["CONNECTIONS_TABLE"])["Count"] == 0


def test_bad_tenant_is_refused(aws, local_dir, capsys):
    code, _, err = run(capsys, local_dir, "connections", "create", "--tenant", "Not A Slug", "--provider", "standard")

    assert code == 2
    assert "tenant_id" in err
    assert all_secret_names() == []


def test_a_failed_registry_write_deletes_the_new_secret(aws):
    admin = ConnectionAdmin(
        registry=ConnectionRegistry(dynamodb=boto3.client("dynamodb"), table="no-such-table"),
        secrets=SecretStore(client=boto3.client("secretsmanager"), stage="local"),
        api_url=API_URL,
    )

    with pytest.raises(Exception, match=r"ResourceNotFound|not found"):
        admin.create("acme", "standard", {})

    assert all_secret_names() == []


def test_disable_and_rotate_secret(aws, local_dir, capsys):
    _, created, _ = run(capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "standard")
    connection_id = created["connection_id"]

    code, rotated, _ = run(capsys, local_dir, "connections", "rotate-secret", connection_id)
    assert code == 0
    assert rotated["signing_secret"] != created["signing_secret"]
    secrets = ConnectionSecrets.model_validate(stored_secrets(aws, connection_id))
    assert secrets.signing_secrets() == [rotated["signing_secret"], created["signing_secret"]]
    assert rotated["previous_valid_until"] == secrets.previous_valid_until.isoformat()

    code, disabled, _ = run(capsys, local_dir, "connections", "disable", connection_id)
    assert code == 0
    assert disabled["enabled"] is False and disabled["disabled_at"]


def test_rotate_secret_is_for_standard_connections(aws, local_dir, capsys):
    _, created, _ = run(
        capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "intercom",
        "--app-id", "a", "--client-secret", "s", "--access-token", "t",
    )  # fmt: skip

    code, _, err = run(capsys, local_dir, "connections", "rotate-secret", created["connection_id"])

    assert code == 2
    assert "Standard Webhooks" in err


@pytest.mark.parametrize("command", ["show", "disable", "rotate-secret"])
def test_unknown_connection_exits_1(aws, local_dir, capsys, command):
    code, _, err = run(capsys, local_dir, "connections", command, "con_01JD8X5Q9R0000000000000000")

    assert code == 1
    assert "no connection con_01JD8X5Q9R0000000000000000" in err


def test_changing_commands_save_the_local_state_readable_by_the_owner_only(aws, local_dir, capsys):
    _, client, _ = run(capsys, local_dir, "clients", "create", "--tenant", "acme")
    _, created, _ = run(capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "standard")

    state = local_state.load(local_dir)

    assert (local_dir / "state.json").stat().st_mode & 0o777 == 0o600
    assert state["user_pool_id"] == aws.user_pool_id
    assert [entry["ClientSecret"] for entry in state["app_clients"]] == [client["client_secret"]]
    assert [key["tiers"] for key in state["api_keys"]] == [["standard"]]
    (secret,) = state["secrets"]
    assert json.loads(secret["current"]) == {"signing_secret": created["signing_secret"]}


def test_read_secret_option():
    assert read_secret_option("plain") == "plain"
    assert read_secret_option("-", stdin=lambda: "from-stdin\r\n") == "from-stdin"
    with pytest.raises(ConnectionSpecError, match="empty"):
        read_secret_option("-", stdin=lambda: "\n")
