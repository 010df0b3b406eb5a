"""schemathesis against the local stack, from the description it serves: every phase (examples, coverage,
fuzzing, stateful through the links) and the checks of docs/api-contract.md, zero failures expected.

A bounded run is part of `make test` (5 examples, seed 8, every check); `make fuzz-contract` is the long one.

Knobs: CONTRACT_MAX_EXAMPLES (default 5 per operation and phase), CONTRACT_MAX_TIME (seconds; fuzzing and
stateful repeat until it is spent), CONTRACT_SEED (default 8; `random` for a new one each run), CONTRACT_CHECKS
(comma-separated). The NDJSON report and the failure summary stay in .local/contract/ (CONTRACT_REPORT_DIR).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from leadgate_dev import contract
from leadgate_dev.harness.functions import ROOT

pytestmark = pytest.mark.contract

RUN_TIMEOUT_SECONDS = 900  # beyond CONTRACT_MAX_TIME


def _seed() -> int | None:
    value = os.environ.get("CONTRACT_SEED", "8")
    return None if value == "random" else int(value)


def test_the_api_keeps_its_described_contract(contract_stack, contract_token):
    report_dir = Path(os.environ.get("CONTRACT_REPORT_DIR", ROOT / ".local" / "contract"))
    report_dir.mkdir(parents=True, exist_ok=True)
    for old_report in report_dir.glob("*.ndjson"):
        old_report.unlink()
    max_time = int(os.environ["CONTRACT_MAX_TIME"]) if os.environ.get("CONTRACT_MAX_TIME") else None
    command = contract.schemathesis_command(
        contract_stack.base_url,
        contract_token,
        report_dir,
        max_examples=int(os.environ.get("CONTRACT_MAX_EXAMPLES", "5")),
        seed=_seed(),
        max_time=max_time,
        checks=os.environ.get("CONTRACT_CHECKS", ",".join(contract.CHECKS)).split(","),
    )

    run = subprocess.run(
        command,
        cwd=contract_stack.data_dir,  # schemathesis keeps its example database in the working directory
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS + (max_time or 0),
        check=False,
        env=contract.schemathesis_env(),
    )

    counts = contract.failures(contract.report_events(report_dir))
    summary = contract.summary(counts)
    (report_dir / "summary.txt").write_text(summary + "\n")
    shutil.copy(contract_stack.data_dir / "stack.log", report_dir / "stack.log")  # the 500s' tracebacks
    print(summary)
    assert run.returncode == 0 and not counts, f"{summary}\n\n{run.stdout[-6000:]}\n{run.stderr[-2000:]}"
