"""`make bench` at a tiny size, so the benchmark cannot rot: it runs as `make bench` runs it (its own
process: it sets its own environment), and its report must show real, plausible figures."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from leadgate_dev.bench.report import GENERATED
from leadgate_dev.harness.functions import ROOT


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> str:
    output = tmp_path_factory.mktemp("bench") / "benchmarks.md"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadgate_dev.bench",
            *("--sizes", "50", "--local-size", "60", "--local-neighbour", "10", "--repeats", "1"),
            *("--no-imports", "--output", str(output)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    text = output.read_text()
    assert text in result.stdout  # printed as well as written
    return text


def row(report: str, operation: str) -> list[str]:
    """The cells of the first table row for `operation`."""
    for line in report.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] == operation:
            return cells[1:]
    raise AssertionError(f"no row {operation!r}")


def test_the_report_keeps_its_method_and_flags_nothing(report):
    assert report.startswith("# Benchmarks")
    assert "## Method" in report.split(GENERATED)[0]
    assert re.search(r"\*\*Scans: none\*\* in \d+ measured requests", report)
    assert "SCAN" not in report.replace("Scans: none", "")
    assert "Unexpected status codes" not in report
    assert "⚠" not in report


def test_single_lead_operations_cost_what_the_design_says_at_every_tier(report):
    tiers = 1 if "DynamoDB Local tier skipped" in report else 2
    assert row(report, "get")[:tiers] == ["1 / 1 / 0"] * tiers
    assert row(report, "get another tenant's lead (404)")[:tiers] == ["1 / 1 / 0"] * tiers
    # The stage named and its pipeline are read, and the tags' claims with the tag sequence; the lead's one
    # transaction (metered as a call on each table it touches) holds the stage's count shard, the tag count item,
    # the assigned user's ConditionCheck and its count shard, the catalog entries of names new to it and the first
    # stage's history item; the stage's type is read for the assigned user's open count.
    assert row(report, "create (email, phone, 2 tags, kana)")[:tiers] == ["7 / 6 / 26"] * tiers
    assert row(report, "list, no filter (15)")[:tiers] == ["2 / 17 / 0"] * tiers
    assert row(report, "list, no filter (15)")[tiers] == "15"  # returned


def test_an_assignment_adds_one_count_shard_to_the_lead_write_and_nothing_else(report):
    # Every lead here also reads the default pipeline's marker, counts itself in its stage and records its first
    # stage; an assigned one reads its stage's type (the user's open count).
    assert row(report, "lead create, unassigned")[0] == "4 / 1 / 5"
    assert row(report, "lead create, assigned_user_id (+ check, + count)")[0] == "5 / 2 / 6"
    assert row(report, "lead PATCH, reassign (user -> user: check, -1, +1)")[0] == "4 / 1 / 4"
    assert row(report, "lead PATCH, not assignment (nothing added)")[0] == "2 / 1 / 1"
    assert row(report, "get a user (with open_lead_count)")[0] == "2 / 1 / 0"


def test_intake_meets_the_design_minimum(report):
    for operation in (
        "new (LeadHub inbound)",
        "matched (same person, respelled)",
        "replayed (same Idempotency-Key and body)",
    ):
        cells = row(report, operation)
        assert cells[-1].startswith(cells[0] + ":"), (operation, cells)
    # The identity read also reads what a new lead would need (the same call, metered on each table).
    assert row(report, "ambiguous (email of one lead, phone of another)")[0] == "2 / 5 / 0"


def test_rate_limiting_writes_one_item_per_window(report):
    assert row(report, "counted, one window (hourly)")[:2] == ["UpdateItem 1", "1"]
    assert row(report, "counted, two windows (minutely + hourly)")[:2] == ["UpdateItem 2", "2"]
    assert row(report, "over the limit, in the instance that used the window up (429)")[:2] == ["0", "0"]


def test_a_form_submission_is_an_intake_and_a_honeypot_stores_nothing(report):
    tiers = 1 if "DynamoDB Local tier skipped" in report else 2
    assert row(report, "public honeypot (nothing stored)")[:tiers] == ["1 / 1 / 0"] * tiers  # the form's GetItem
    # Intake's one identity read also fetches what a new lead would need (metered on each table it touches).
    assert row(report, "server submission, known person (another spelling)")[:tiers] == ["5 / 6 / 2"] * tiers
    assert row(report, "list a form's submissions (per_page=25)")[0].startswith("2 / ")  # GetItem + ONE Query


@pytest.mark.skipif(shutil.which("java") is None, reason="DynamoDB Local needs Java")
def test_dynamodb_local_tier_measures_latency(report):
    assert "60 leads (DynamoDB Local)" in report
    latency = row(report, "get")[3]  # after the two tiers and "returned"
    assert float(latency) > 0
