"""`leadgate connections create --sync-every`, `connections set-schedule`, `sync run` and `sync runs` against
moto (its EventBridge Scheduler holds the schedules) and the fake HubSpot."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from leadgate.connections.registry import ConnectionRegistry, clear_cache
from leadgate.sync.engine import RunProgress
from leadgate.sync.runs import Counts
from leadgate_admin.cli import main
from leadgate_admin.sync import _ProgressLine
from tests.fakes.hubspot import CONTACTS

GROUP = "local-sync"
SYNC = {
    "schedule_group": GROUP,
    "function_arn": "arn:aws:lambda:us-east-1:123456789012:function:local-sync",
    "role_arn": "arn:aws:iam::123456789012:role/local-sync-scheduler",
    "dead_letter_arn": "arn:aws:sqs:us-east-1:123456789012:local-SyncSchedulesDeadLetterQueue",
}


@pytest.fixture
def local_dir(aws, tmp_path, monkeypatch):
    boto3.client("scheduler").create_schedule_group(Name=GROUP)
    stack = {**aws.to_json(), "api_url": "http://127.0.0.1:3999", "stage": "local", "sync": SYNC}
    (tmp_path / "stack.json").write_text(json.dumps(stack))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    clear_cache()
    return tmp_path


def run(capsys, local_dir, *argv: str):
    code = main([*argv, "--local-dir", str(local_dir)])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def create(capsys, local_dir, fake_hubspot, *extra: str) -> dict:
    fake_hubspot.add_private_token("pat-1")
    code, created, err = run(
        capsys,
        local_dir,
        "connections",
        "create",
        "--tenant",
        "acme",
        "--provider",
        "hubspot",
        "--portal-id",
        "62515",
        "--app-id",
        "1001",
        "--client-id",
        "app-client",
        "--client-secret",
        "app-secret",
        "--access-token",
        "pat-1",
        "--base-url",
        fake_hubspot.url,
        *extra,
    )
    assert code == 0, err
    return created


def schedule(connection_id: str) -> dict:
    return boto3.client("scheduler").get_schedule(Name=connection_id, GroupName=GROUP)


def test_create_with_sync_every_creates_the_schedule(capsys, local_dir, fake_hubspot):
    created = create(capsys, local_dir, fake_hubspot, "--sync-every", "15m")

    assert created["sync_every"] == "15m"
    assert created["schedule"] == {
        "name": created["connection_id"],
        "expression": "rate(15 minutes)",
        "state": "ENABLED",
    }
    found = schedule(created["connection_id"])
    assert found["Target"]["Arn"] == SYNC["function_arn"] and found["Target"]["RoleArn"] == SYNC["role_arn"]
    assert json.loads(found["Target"]["Input"]) == {"connection_id": created["connection_id"]}
    assert found["Target"]["DeadLetterConfig"] == {"Arn": SYNC["dead_letter_arn"]}
    assert found["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 3
    assert "pat-1" not in json.dumps(created)


def test_set_schedule_changes_then_deletes_it(capsys, local_dir, fake_hubspot):
    connection_id = create(capsys, local_dir, fake_hubspot)["connection_id"]
    with pytest.raises(boto3.client("scheduler").exceptions.ResourceNotFoundException):
        schedule(connection_id)

    code, changed, _ = run(capsys, local_dir, "connections", "set-schedule", connection_id, "--every", "1h")
    assert (
        code == 0 and changed["sync_every"] == "1h" and schedule(connection_id)["ScheduleExpression"] == "rate(1 hour)"
    )
    code, changed, _ = run(capsys, local_dir, "connections", "set-schedule", connection_id, "--every", "1d")
    assert schedule(connection_id)["ScheduleExpression"] == "rate(1 day)"

    code, off, _ = run(capsys, local_dir, "connections", "set-schedule", connection_id, "--off")
    assert code == 0 and off["sync_every"] is None and off["schedule"] is None
    assert boto3.client("scheduler").list_schedules(GroupName=GROUP)["Schedules"] == []


def test_set_schedule_clears_a_disabled_reason_and_enables_again(capsys, local_dir, fake_hubspot, aws):
    connection_id = create(capsys, local_dir, fake_hubspot, "--sync-every", "15m")["connection_id"]
    registry = ConnectionRegistry(dynamodb=boto3.client("dynamodb"), table=aws.tables["CONNECTIONS_TABLE"])
    registry.set_fields(connection_id, sync_disabled_reason="Unauthorized: revoked")
    code, changed, _ = run(capsys, local_dir, "connections", "set-schedule", connection_id, "--every", "15m")
    assert code == 0 and changed["sync_disabled_reason"] is None and changed["schedule"]["state"] == "ENABLED"


def test_a_webhook_only_connection_gets_no_schedule(capsys, local_dir):
    code, _, err = run(
        capsys, local_dir, "connections", "create", "--tenant", "acme", "--provider", "standard", "--sync-every", "1h"
    )
    assert code == 2 and "nothing to sync" in err
    code, listed, _ = run(capsys, local_dir, "connections", "list")
    assert listed == []  # refused before anything was created


def test_bad_intervals_and_unknown_connections_are_refused(capsys, local_dir):
    with pytest.raises(SystemExit) as exit_:
        main(["connections", "set-schedule", "con_x", "--every", "15s", "--local-dir", str(local_dir)])
    assert exit_.value.code == 2
    code, _, err = run(capsys, local_dir, "connections", "set-schedule", "con_01J00000000000000000000000", "--off")
    assert code == 1 and "no connection" in err
    code, _, err = run(capsys, local_dir, "sync", "run", "con_01J00000000000000000000000")
    assert code == 1 and "no connection" in err


def test_sync_run_prints_the_record_and_runs_lists_it(capsys, local_dir, fake_hubspot):
    connection_id = create(capsys, local_dir, fake_hubspot)["connection_id"]
    fake_hubspot.add_contact(email="a@example.com", firstname="Taro")

    code, record, err = run(capsys, local_dir, "sync", "run", connection_id)

    assert code == 0 and record["status"] == "succeeded" and record["counts"]["created"] == 1
    assert err == ""  # no progress line when stderr is not a terminal
    code, runs, _ = run(capsys, local_dir, "sync", "runs", connection_id)
    assert code == 0 and [r["run_id"] for r in runs] == [record["run_id"]]


def test_a_failed_run_exits_non_zero(capsys, local_dir, fake_hubspot):
    connection_id = create(capsys, local_dir, fake_hubspot)["connection_id"]
    fake_hubspot.fail(f"{CONTACTS}/search", 400)
    code, record, _ = run(capsys, local_dir, "sync", "run", connection_id)
    assert code == 1 and record["status"] == "failed" and record["error"]


def test_the_progress_line_rewrites_itself_on_a_terminal():
    stream = io.StringIO()
    line = _ProgressLine(stream)
    line(RunProgress("run-1", 1, Counts(fetched=100, created=90, unchanged=10)))
    line(RunProgress("run-1", 2, Counts(fetched=200, created=150, unchanged=40, failed=10)))
    line.close()
    assert stream.getvalue().count("\r") == 2 and stream.getvalue().endswith("failed 10  pushed 0\n")
    assert "fetched 200  applied 190" in stream.getvalue()
