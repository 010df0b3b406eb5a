"""`leadgate automations runs ID --tenant T` against moto: an automation's runs, newest first, as the API shows
them; another tenant's automation of the same id shows nothing."""

from __future__ import annotations

import json

import pytest

from leadgate import clock
from leadgate.automations import runs
from leadgate.events.model import Event
from leadgate_admin.cli import main


@pytest.fixture
def local_dir(aws, tmp_path, monkeypatch):
    (tmp_path / "stack.json").write_text(json.dumps({**aws.to_json(), "stage": "local"}))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    return tmp_path


def _run(tenant: str, when: str, event_id: str) -> None:
    event = Event(
        id=event_id, type="lead.created", occurred_at=when, tenant=tenant, actor="system", lead_id="L1", data={}
    )
    now = clock.iso(clock.now())
    runs.claim(
        runs.Run(tenant, 1, event, "succeeded", now, 1, steps=[{"step": 0, "type": "add_tag", "outcome": "done"}])
    )


def test_runs_shows_an_automations_runs_newest_first(local_dir, capsys):
    _run("acme", "2026-01-01T00:00:00.000Z", "evt_a")
    _run("acme", "2026-01-02T00:00:00.000Z", "evt_b")
    _run("beta", "2026-01-03T00:00:00.000Z", "evt_c")

    code = main(["automations", "runs", "1", "--tenant", "acme", "--local-dir", str(local_dir)])
    listed = json.loads(capsys.readouterr().out)

    assert code == 0
    assert [run["event_id"] for run in listed] == ["evt_b", "evt_a"]
    assert listed[0]["status"] == "succeeded" and listed[0]["actions"][0]["outcome"] == "done"
    assert main(["automations", "runs", "2", "--tenant", "acme", "--local-dir", str(local_dir)]) == 0
    assert json.loads(capsys.readouterr().out) == []
