"""`leadgate tags list --tenant T` against moto: the tenant's tags catalog with exact lead counts."""

from __future__ import annotations

import json

import pytest

from leadgate_admin.cli import main
from tests.support.leads import LeadsApi


def test_tags_list_shows_the_tenants_catalog_with_counts(aws, tmp_path, monkeypatch, capsys):
    (tmp_path / "stack.json").write_text(json.dumps({**aws.to_json(), "environment": aws.environment()}))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    LeadsApi().create(tags=["vip", "hot"])
    LeadsApi().create(email="b@example.com", tags=["vip"])
    LeadsApi(tenant="beta").create(tags=["theirs"])

    code = main(["tags", "list", "--tenant", "acme", "--local-dir", str(tmp_path)])
    out, _ = capsys.readouterr()

    assert code == 0
    assert [(tag["name"], tag["lead_count"]) for tag in json.loads(out)] == [("hot", 1), ("vip", 2)]


def test_tags_list_needs_a_tenant(capsys):
    with pytest.raises(SystemExit) as exited:
        main(["tags", "list"])
    assert exited.value.code == 2
    assert "--tenant" in capsys.readouterr().err
