"""The operator CLI and the workspace: `clients create --scopes` and `set-scopes` with the workspace scopes,
`pipelines list --tenant` (read-only), on the moto stack."""

from __future__ import annotations

import json

import boto3
import pytest

from leadgate.leads import service
from leadgate.leads.requests import LeadCreate
from leadgate_admin.cli import main

WORKSPACE_SCOPES = [
    "read:pipelines",
    "write:pipelines",
    "read:users",
    "write:users",
    "delete:users",
    "read:tags",
    "write:tags",
]


@pytest.fixture
def local_dir(aws, tmp_path, monkeypatch):
    (tmp_path / "stack.json").write_text(json.dumps(aws.to_json()))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    return tmp_path


def run(capsys, local_dir, *argv: str):
    code = main([*argv, "--local-dir", str(local_dir)])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def _cognito_scopes(aws, client_id):
    described = boto3.client("cognito-idp").describe_user_pool_client(UserPoolId=aws.user_pool_id, ClientId=client_id)
    return described["UserPoolClient"]["AllowedOAuthScopes"]


def test_the_workspace_scopes_are_granted_and_set(aws, local_dir, capsys):
    code, created, _ = run(capsys, local_dir, "clients", "create", "--tenant", "acme", "--scopes", "read:pipelines")
    assert (code, created["scopes"]) == (0, ["read:pipelines"])

    code, changed, _ = run(
        capsys, local_dir, "clients", "set-scopes", created["client_id"], "--scopes", *WORKSPACE_SCOPES
    )
    assert (code, changed["scopes"]) == (0, WORKSPACE_SCOPES)
    assert _cognito_scopes(aws, created["client_id"]) == [f"leadgate/{scope}" for scope in WORKSPACE_SCOPES]
    described = boto3.client("cognito-idp").describe_user_pool_client(
        UserPoolId=aws.user_pool_id, ClientId=created["client_id"]
    )["UserPoolClient"]
    assert described["AllowedOAuthFlows"] == ["client_credentials"]  # the other settings are kept

    code, _, err = run(capsys, local_dir, "clients", "set-scopes", created["client_id"], "--scopes", "read:everything")
    assert code == 2 and "read:everything" in err


def test_every_client_by_default_has_the_workspace_scopes(aws, local_dir, capsys):
    _, created, _ = run(capsys, local_dir, "clients", "create", "--tenant", "acme")
    assert set(WORKSPACE_SCOPES) <= set(created["scopes"])


def test_pipelines_list_shows_stages_and_counts_and_makes_nothing(aws, local_dir, capsys):
    code, listed, _ = run(capsys, local_dir, "pipelines", "list", "--tenant", "acme")
    assert (code, listed) == (0, [])  # the default pipeline is the API's to make, on first use

    service.create_lead("acme", LeadCreate(first_name="A", pipeline_stage_id=2))
    code, listed, _ = run(capsys, local_dir, "pipelines", "list", "--tenant", "acme")
    (default,) = listed
    assert (default["id"], default["default"]) == (1, True)
    assert [(stage["id"], stage["lead_count"]) for stage in default["stages"]][:3] == [(1, 0), (2, 1), (3, 0)]
    assert run(capsys, local_dir, "pipelines", "list", "--tenant", "other")[1] == []
