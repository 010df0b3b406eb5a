"""Contract runs: schemathesis against a running stack, from the description the stack serves.

`schemathesis_command()` builds the `st run` command line (every phase, the checks issue 8 names);
`failures()` reads its NDJSON event report into failing cases per (check, operation), and `summary()`
renders them as the table the contract test prints and the next phase works from.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

PHASES = ("examples", "coverage", "fuzzing", "stateful")
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
)
# The bounded run in `make test`: every check but positive_data_acceptance, which still finds schema-valid data
# the rules refuse (README, "API contract"); `make fuzz-contract` runs all of CHECKS.
BOUNDED_CHECKS = tuple(check for check in CHECKS if check != "positive_data_acceptance")
DESCRIPTION_PATH = "/api/v1/openapi.json"


# Valid data may still meet a state it cannot change: a random If-Match is a well-formed ETag that does not hold
# (412), a lead the run has not created is 404, a duplicate email is 409.
CONFIG = """[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx"]
"""


def schemathesis_command(
    base_url: str,
    token: str,
    report_dir: Path,
    *,
    max_examples: int,
    seed: int | None = None,
    max_time: int | None = None,
    phases: Sequence[str] = PHASES,
    checks: Sequence[str] = CHECKS,
) -> list[str]:
    """`st run` on the served description, as the client whose token this is, with an NDJSON report."""
    st = Path(sys.executable).with_name("st")
    config = report_dir / "schemathesis.toml"
    config.write_text(CONFIG)
    command = [
        str(st),
        "--config-file",
        str(config),
        "run",
        f"{base_url}{DESCRIPTION_PATH}",
        "--url",
        base_url,
        "--header",
        f"Authorization: Bearer {token}",
        "--phases",
        ",".join(phases),
        "--checks",
        ",".join(checks),
        "--max-examples",
        str(max_examples),
        "--workers",
        "1",
        "--no-shrink",
        "--report",
        "ndjson",
        "--report-dir",
        str(report_dir),
    ]
    if seed is not None:
        command += ["--seed", str(seed)]
    if max_time is not None:
        command += ["--max-time", str(max_time)]
    return command


def failures(events: Iterable[str]) -> Counter[tuple[str, str]]:
    """Failing test cases per (check, operation) from the NDJSON report's lines."""
    counts: Counter[tuple[str, str]] = Counter()
    for line in events:
        event = json.loads(line)
        finished = event.get("ScenarioFinished")
        if not finished:
            continue
        recorder = finished["recorder"]
        for results in recorder.get("checks", {}).values():
            for result in results:
                if result["status"] == "failure":
                    counts[(result["name"], recorder["label"])] += 1
    return counts


def report_events(report_dir: Path) -> list[str]:
    reports = sorted(report_dir.glob("*.ndjson"))
    if not reports:
        raise FileNotFoundError(f"schemathesis wrote no NDJSON report in {report_dir}")
    return reports[-1].read_text(encoding="utf-8").splitlines()


def summary(counts: Counter[tuple[str, str]]) -> str:
    """Per check: its failing cases, then per operation."""
    if not counts:
        return "no failures"
    lines = []
    for check in sorted({check for check, _ in counts}):
        by_operation = {operation: n for (name, operation), n in counts.items() if name == check}
        lines.append(f"{check}: {sum(by_operation.values())} failing cases")
        lines += [f"    {n:5d}  {operation}" for operation, n in sorted(by_operation.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines)
