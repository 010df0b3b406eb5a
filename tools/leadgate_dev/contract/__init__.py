"""Contract runs: schemathesis against a running stack, from the description the stack serves.

`schemathesis_command()` builds the `st run` command line (every phase, every check of docs/api-contract.md);
`failures()` reads its NDJSON event report into failing cases per (check, operation), and `summary()`
renders them as the table the contract test prints and the next phase works from.
"""

from __future__ import annotations

import json
import os
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
DESCRIPTION_PATH = "/api/v1/openapi.json"
HOOKS_MODULE = "leadgate_dev.contract.hooks"

# Valid data may still meet a state it cannot change: a random If-Match is a well-formed ETag that does not hold
# (412), a lead the run has not created is 404, a duplicate email (or deleting a stage leads are in) is 409,
# another unit's `unit_id` 403, a webhook without its provider's signature 401. A list position is the list's
# to give: a cursor it did not issue (400 INVALID_CURSOR, as an id it did not issue is 404), or a page number
# out of its reach (400 PAGE_OUT_OF_REACH: past 10,000 items, or past page 1 where filters are read by cursor
# only). Those lists take no body, so no other 400 is possible. A lead the run erased answers 410 GONE on every
# lead route (docs/privacy.md), as one it never created answers 404.
# (5xx is not_a_server_error's to judge.)
_ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "410", "412", "429", "5xx"]
CURSOR_LISTS = (
    "GET /api/v1/leads",
    "GET /api/v1/leads/{id}/inquiries",
    "GET /api/v1/leads/{id}/stage-history",
    "GET /api/v1/leads/{id}/consents",
    "GET /api/v1/erasures",
    "GET /api/v1/connections",
    "GET /api/v1/connections/{id}/runs",
    "GET /api/v1/integrations",
    "GET /api/v1/integrations/{id}/runs",
    "GET /api/v1/pipelines",
    "GET /api/v1/pipelines/{id}/stages",
    "GET /api/v1/users",
    "GET /api/v1/tags",
    "GET /api/v1/forms",
    "GET /api/v1/forms/{id}/submissions",
    "GET /api/v1/webhook-endpoints",
    "GET /api/v1/webhook-endpoints/{id}/deliveries",
    "GET /api/v1/events",
    "GET /api/v1/automations",
    "GET /api/v1/automations/{id}/runs",
)
# A valid body may name state that does not hold: a lead's `assigned_user_id` must be an active user of the
# tenant, a user's email must be free in the tenant, `reassign_to` an active user, a pipeline's `stage_ids` every
# stage it has (each once), a new stage a pipeline with fewer than 50; an integration's `settings` and `secrets`
# are its provider's (the types catalog's schemas), its `base_url` must resolve to a public address (422 naming
# the field, as LeadHub's validation answers them). A form's target names the workspace's objects as a lead
# does; a submission's values are checked against its form's fields, which the description cannot state.
STATE_422 = (
    "POST /api/v1/leads",
    "PUT /api/v1/leads/{id}",
    "PATCH /api/v1/leads/{id}",
    "POST /public/api/leads",
    "POST /api/inbound/leads",
    "POST /api/v1/leads/upsert",
    "POST /api/v1/users",
    "PUT /api/v1/users/{id}",
    "PATCH /api/v1/users/{id}",
    "DELETE /api/v1/users/{id}",
    "PUT /api/v1/pipelines/{id}",
    "PATCH /api/v1/pipelines/{id}",
    "POST /api/v1/pipelines/{id}/stages",
    "POST /api/v1/integrations",
    "PUT /api/v1/integrations/{id}",
    "PATCH /api/v1/integrations/{id}",
    "POST /api/v1/forms",
    "PUT /api/v1/forms/{id}",
    "PATCH /api/v1/forms/{id}",
    "POST /api/v1/forms/{id}/submissions",
    "POST /public/forms/{public_id}/submissions",
    "POST /api/v1/webhook-endpoints",  # the URL must be safe to call: resolvable, public (SSRF guard)
    "PATCH /api/v1/webhook-endpoints/{id}",
    "POST /api/v1/automations",  # what it names must be the workspace's (users, stages, tags, forms), URLs safe
    "PUT /api/v1/automations/{id}",
    "PATCH /api/v1/automations/{id}",
)
# Invalid data may also be too large: 413 refuses it as surely as 422 does (schemathesis' default list lacks it).
_REFUSED = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
CONFIG = (
    f"""[checks.positive_data_acceptance]
expected-statuses = {json.dumps(_ACCEPTED)}

[checks.negative_data_rejection]
expected-statuses = {json.dumps(_REFUSED)}
"""
    + "".join(
        f"""
[[operations]]
include-name = "{name}"
checks.positive_data_acceptance.expected-statuses = {json.dumps([*_ACCEPTED, "400"])}
"""
        for name in CURSOR_LISTS
    )
    + "".join(
        f"""
[[operations]]
include-name = "{name}"
checks.positive_data_acceptance.expected-statuses = {json.dumps([*_ACCEPTED, "422"])}
"""
        for name in STATE_422
    )
)


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


def schemathesis_env() -> dict[str, str]:
    """The environment `st run` needs: ours, with the hooks module (`format: phone`, unique idempotency keys)."""
    return {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS_MODULE}


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
