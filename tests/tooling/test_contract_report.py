"""The contract run's report reading: failing cases per (check, operation), and the command line."""

from __future__ import annotations

import json
from pathlib import Path

from leadgate_dev import contract


def _finished(label: str, checks: dict[str, list[tuple[str, str]]]) -> str:
    return json.dumps(
        {
            "ScenarioFinished": {
                "recorder": {
                    "label": label,
                    "checks": {
                        case: [{"name": n, "status": s} for n, s in results] for case, results in checks.items()
                    },
                }
            }
        }
    )


def test_failures_count_failing_cases_per_check_and_operation():
    events = [
        json.dumps({"Initialize": {}}),
        _finished("GET /a", {"c1": [("not_a_server_error", "failure"), ("status_code_conformance", "success")]}),
        _finished("GET /a", {"c2": [("not_a_server_error", "failure")], "c3": [("not_a_server_error", "failure")]}),
        _finished("POST /b", {"c4": [("status_code_conformance", "failure")]}),
        _finished("POST /b", {}),
    ]

    counts = contract.failures(events)

    assert counts == {("not_a_server_error", "GET /a"): 3, ("status_code_conformance", "POST /b"): 1}
    text = contract.summary(counts)
    assert "not_a_server_error: 3 failing cases" in text
    assert "        3  GET /a" in text.splitlines()
    assert contract.summary(contract.failures([])) == "no failures"


def test_the_command_runs_every_phase_and_check_on_the_served_description(tmp_path: Path):
    command = contract.schemathesis_command("http://127.0.0.1:3000", "tok", tmp_path, max_examples=5, seed=8)

    assert command[3:5] == ["run", "http://127.0.0.1:3000/api/v1/openapi.json"]
    assert '"412"' in Path(command[2]).read_text()  # positive data may meet a failed If-Match
    assert command[command.index("--phases") + 1] == "examples,coverage,fuzzing,stateful"
    assert set(command[command.index("--checks") + 1].split(",")) == set(contract.CHECKS)
    assert "Authorization: Bearer tok" in command
    assert command[command.index("--seed") + 1] == "8"
    assert "--max-time" not in command
