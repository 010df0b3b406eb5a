"""`leadgate users list --tenant T` against moto: the tenant's users with their exact open_lead_count, no other
tenant's."""

from __future__ import annotations

import json

import pytest

from leadgate.leads import repository
from leadgate.leads.requests import LeadData
from leadgate.workspace.pipelines import service as pipelines
from leadgate_admin.cli import main
from tests.support.users import seed_users


@pytest.fixture
def local_dir(aws, tmp_path, monkeypatch):
    (tmp_path / "stack.json").write_text(json.dumps({**aws.to_json(), "stage": "local"}))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    return tmp_path


def test_users_list_shows_a_tenants_users_with_their_open_lead_count(aws, local_dir, capsys):
    seed_users("acme", 2)
    seed_users("beta", 1)
    for name in ("A", "B"):
        repository.create("acme", LeadData(first_name=name, assigned_user_id=2))
    pipelines.ensure_default("acme")  # stage 5 is won: a lead there is not open
    repository.create("acme", LeadData(first_name="Won", assigned_user_id=2, pipeline_id=1, pipeline_stage_id=5))

    code = main(["users", "list", "--tenant", "acme", "--local-dir", str(local_dir)])
    listed = json.loads(capsys.readouterr().out)

    assert code == 0
    assert [(user["id"], user["email"], user["open_lead_count"]) for user in listed] == [
        (1, "user1@acme.example", 0),
        (2, "user2@acme.example", 2),
    ]
    assert listed[0] == {**listed[0], "name": "User 1", "role": "member", "active": True}


def test_users_list_needs_a_tenant(local_dir, capsys):
    with pytest.raises(SystemExit):
        main(["users", "list", "--local-dir", str(local_dir)])
