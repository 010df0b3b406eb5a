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


def _legacy_leads(tenant: str, count: int, **fields) -> None:
    """Leads as written before the workspace: tag names without ids, an integer assignee, in no count."""
    from datetime import timedelta

    from leadgate import aws as leadgate_aws
    from leadgate import clock, dependencies
    from leadgate.leads import ids, repository
    from leadgate.leads.records import StoredLead, iso
    from leadgate.leads.requests import LeadData
    from leadgate.settings import get_settings

    now = clock.now()
    items = []
    for n in range(count):
        data = LeadData(first_name=f"Old{n}", **fields)
        lead = StoredLead(
            id=ids.new_ulid(now + timedelta(milliseconds=n)),
            data=data,
            version=1,
            created_at=iso(now),
            updated_at=iso(now),
            search_tokens=data.search_tokens(),
        )
        items += repository.new_lead_items(tenant, lead)
    requests = [{"PutRequest": {"Item": item}} for item in items]
    for first in range(0, len(requests), 25):
        dependencies.batch_write(leadgate_aws.dynamodb(), {get_settings().leads_table: requests[first : first + 25]})


def _with_environment(aws, local_dir) -> dict:
    """stack.json with the functions' environment, as the local stack writes it."""
    stack = json.loads((local_dir / "stack.json").read_text())
    stack["environment"] = {**aws.environment(), "AWS_REGION": "us-east-1"}
    (local_dir / "stack.json").write_text(json.dumps(stack))
    return stack


def test_workspace_backfill_counts_the_leads_from_before_the_workspace(aws, local_dir, capsys, monkeypatch):
    from leadgate.workspace import backfill, jobs
    from tests.support.workspace import WorkspaceApi, run_jobs_queue

    _with_environment(aws, local_dir)
    monkeypatch.setattr(backfill, "PAGE", 2)  # several pages, each its own message
    api = WorkspaceApi()
    user = api.call("POST", "/api/v1/users", body={"name": "Old hand", "email": "old@example.jp"}).body["data"]
    service.create_lead("acme", LeadCreate(first_name="New", tags=["legacy"], assigned_user_id=user["id"]))
    _legacy_leads("acme", 5, tags=["legacy", "vip"], assigned_user_id=user["id"])
    assert {tag["name"]: tag["lead_count"] for tag in api.tags()} == {"legacy": 1}

    code, job, _ = run(capsys, local_dir, "workspace", "backfill", "--tenant", "acme")
    assert (code, job["kind"], job["status"]) == (0, "counts_backfill", "queued")
    assert run_jobs_queue() >= 4
    finished = jobs.get("acme", job["id"])
    assert (finished.status, finished.done, finished.params["tagged"]) == ("succeeded", 6, 5)
    assert finished.params["users"] == {str(user["id"]): 5}
    assert {tag["name"]: tag["lead_count"] for tag in api.tags()} == {"legacy": 6, "vip": 5}
    assert api.call("GET", f"/api/v1/users/{user['id']}").body["data"]["open_lead_count"] == 6

    # Again: nothing left to count, nothing counted twice.
    code, again, _ = run(capsys, local_dir, "workspace", "backfill", "--tenant", "acme")
    run_jobs_queue()
    assert jobs.get("acme", again["id"]).params | {"cursor": None} == {
        "phase": "users",
        "cursor": None,
        "tagged": 0,
        "users": {},
    }
    assert {tag["name"]: tag["lead_count"] for tag in api.tags()} == {"legacy": 6, "vip": 5}


def test_workspace_backfill_of_a_stack_without_a_jobs_queue_is_refused(aws, local_dir, capsys):
    stack = _with_environment(aws, local_dir)
    stack["environment"].pop("JOBS_QUEUE_URL")
    (local_dir / "stack.json").write_text(json.dumps(stack))
    code, _, err = run(capsys, local_dir, "workspace", "backfill", "--tenant", "acme")
    assert code != 0 and "JOBS_QUEUE_URL" in err
