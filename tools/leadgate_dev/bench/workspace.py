"""The workspace's costs and its jobs' throughput (`make bench`; docs/workspace.md), on moto in-process.

    python -m leadgate_dev.bench.workspace [--leads 1000] [--output docs/benchmarks.md]

- **Operations**: each pipeline, stage and tag operation and a lead's move through the workspace and leads
  handlers, every DynamoDB call metered (calls / items read / items written, as the main bench counts them: a
  call touching two tables is one on each). The users' operations are in the main bench ("Users").
- **Tag-rename job**: `--leads` leads holding one tag (bulk-loaded as `repository.create` writes them, their
  count included), renamed by PATCH (202), the job's pages driven through moto's FIFO queue into
  functions/jobs_worker as the local stack's event source does; the rename's first pass over every lead,
  then its sweep (run at once: the 60 s wait for lead writes in flight is the mechanism's, not work). Leads per
  second of the first pass and of the whole job, and the job's DynamoDB calls per lead. moto's figures are a
  floor for the code's own cost, not DynamoDB's latency.

The results replace the text between the WORKSPACE markers of `--output`, so each bench keeps the others'.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from leadgate_dev import harness
from leadgate_dev.bench.ops import UNLIMITED, Cost, Measurement, Request, invoke, measure
from leadgate_dev.bench.webhooks import write_section
from leadgate_dev.harness.functions import ROOT

START_MARKER = "<!-- WORKSPACE BENCH START (python -m leadgate_dev.bench.workspace) -->"
END_MARKER = "<!-- WORKSPACE BENCH END -->"
TENANT = "bench-workspace"
SCOPES = ("read:pipelines", "write:pipelines", "read:tags", "write:tags", "read:leads", "write:leads")
TAG = "campaign"


def _requests() -> tuple[Any, Any]:
    context = harness.authorizer_context(TENANT, SCOPES, "bench-workspace", rate_policies=UNLIMITED)

    def workspace(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Request:
        return Request("workspace", method, path, body=body, query=query, authorizer=context)

    def leads(method: str, path: str, body: Any = None) -> Request:
        return Request("leads", method, path, body=body, authorizer=context)

    return workspace, leads


def operations() -> list[Measurement]:
    """Each operation once, on a tenant with its default pipeline, a second pipeline and a few tagged leads."""
    workspace, leads = _requests()
    results = [
        measure(
            "list pipelines (first use: makes the default)", lambda i: workspace("GET", "/api/v1/pipelines"), repeats=1
        )
    ]
    results += [
        measure("list pipelines", lambda i: workspace("GET", "/api/v1/pipelines"), repeats=1),
        measure("read a pipeline (6 stages)", lambda i: workspace("GET", "/api/v1/pipelines/1"), repeats=1),
        measure(
            "create a pipeline (default stages)",
            lambda i: workspace("POST", "/api/v1/pipelines", {"name": "Rentals"}),
            repeats=1,
            expected_status=201,
        ),
        measure(
            "rename a pipeline", lambda i: workspace("PATCH", "/api/v1/pipelines/2", {"name": "Lettings"}), repeats=1
        ),
        measure(
            "add a stage",
            lambda i: workspace("POST", "/api/v1/pipelines/2/stages", {"name": "Viewing", "probability": 30}),
            repeats=1,
            expected_status=201,
        ),
        measure(
            "change a stage (probability)",
            lambda i: workspace("PATCH", "/api/v1/pipelines/2/stages/13", {"probability": 40}),
            repeats=1,
        ),
    ]
    # Tags 1-3, made by the lead write that first names them.
    body = {"first_name": "Mover", "tags": [TAG, "wholesale", "retired"]}
    lead = invoke(leads("POST", "/api/v1/leads", body)).body["data"]
    results += [
        measure(
            "lead move (PATCH pipeline_stage_id)",
            lambda i: leads("PATCH", f"/api/v1/leads/{lead['id']}", {"pipeline_stage_id": 3}),
            repeats=1,
        ),
        measure(
            "lead move to another pipeline's stage",
            lambda i: leads("PATCH", f"/api/v1/leads/{lead['id']}", {"pipeline_stage_id": 8}),
            repeats=1,
        ),
        measure(
            "delete a stage (no leads)",
            lambda i: workspace("DELETE", "/api/v1/pipelines/2/stages/13"),
            repeats=1,
            expected_status=204,
        ),
        measure(
            "create a tag",
            lambda i: workspace("POST", "/api/v1/tags", {"name": "partner", "color": "#ff8800"}),
            repeats=1,
            expected_status=201,
        ),
        measure("list tags (4, with counts)", lambda i: workspace("GET", "/api/v1/tags"), repeats=1),
        measure("read a tag", lambda i: workspace("GET", "/api/v1/tags/4"), repeats=1),
        measure(
            "change a tag's colour", lambda i: workspace("PATCH", "/api/v1/tags/4", {"color": "#0088ff"}), repeats=1
        ),
        measure(
            "rename a tag held by 1 lead (inline)",
            lambda i: workspace("PATCH", "/api/v1/tags/1", {"name": "spring-campaign"}),
            repeats=1,
        ),
        measure(
            "merge a tag into another (rename onto its name, inline)",
            lambda i: workspace("PATCH", "/api/v1/tags/2", {"name": "partner"}),
            repeats=1,
        ),
        measure(
            "delete a tag (inline)", lambda i: workspace("DELETE", "/api/v1/tags/3"), repeats=1, expected_status=204
        ),
    ]
    return results


def _populate(size: int) -> int:
    """`size` leads holding a new tag, as `repository.create` writes them (the tag's count included): its id."""
    from leadgate import aws, dependencies
    from leadgate.leads import ids, repository
    from leadgate.leads.records import StoredLead, iso
    from leadgate.leads.requests import LeadData
    from leadgate.settings import get_settings
    from leadgate.workspace import tag_counts, tags

    tag = tags.create(TENANT, f"{TAG}-{size}", None, None)
    now = datetime.now(UTC)
    items: list[dict[str, Any]] = []
    for index in range(size):
        data = LeadData(first_name=f"Holder{index}", tags=[tag.name])
        stamp = iso(now)
        lead = StoredLead(
            id=ids.new_ulid(now + timedelta(milliseconds=index)),
            data=data,
            version=1,
            created_at=stamp,
            updated_at=stamp,
            search_tokens=data.search_tokens(),
            tag_ids={tag.name: tag.id},
        )
        items += repository.new_lead_items(TENANT, lead)
    table = get_settings().leads_table
    for first in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[first : first + 25]]
        dependencies.batch_write(aws.dynamodb(), {table: requests})
    tag_counts.add(TENANT, {tag.id: size})
    return tag.id


def rename_job(size: int) -> dict[str, Any]:
    """The rename of a tag held by `size` leads, as a job: seconds and calls of its first pass and of all of it."""
    import boto3

    from leadgate.settings import get_settings
    from leadgate.workspace import jobs, tag_changes
    from leadgate_dev.bench.metering import metered_dynamodb
    from leadgate_dev.local.event_sources import sqs_event

    tag_changes.GRACE_SECONDS = 0.0  # the sweep's wait for writes in flight: nothing else writes here
    tag_id = _populate(size)
    workspace, _ = _requests()
    reply = invoke(workspace("PATCH", f"/api/v1/tags/{tag_id}", {"name": f"{TAG}-renamed"}))
    assert reply.status == 202, reply.body
    job_id = reply.body["data"]["id"]
    sqs = boto3.client("sqs")
    url = get_settings().jobs_queue_url
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    started = time.perf_counter()
    first_pass = None
    pages = 0
    calls: Counter[str] = Counter()
    with metered_dynamodb() as meter:
        while True:
            messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"]).get(
                "Messages", []
            )
            if not messages:
                break
            answer = harness.handle("jobs_worker", sqs_event(messages, arn), budget_ms=120_000)
            assert not answer["batchItemFailures"], answer
            for message in messages:
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            pages += len(messages)
            if first_pass is None and jobs.get(TENANT, job_id).params.get("pass") == 2:
                first_pass = time.perf_counter() - started
        calls.update(Cost.of(meter).calls)
    total = time.perf_counter() - started
    job = jobs.get(TENANT, job_id)
    assert (job.status, job.done) == (jobs.SUCCEEDED, size), job
    return {
        "leads": size,
        "pages": pages,
        "first_pass_seconds": first_pass or total,
        "seconds": total,
        "calls": dict(calls),
    }


def _cell(cost: Cost) -> str:
    return f"{cost.total_calls} / {cost.items_read} / {cost.items_written}"


def render(measured: list[Measurement], job: dict[str, Any]) -> str:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    rows = [
        f"| {m.name} | {m.statuses[0]} | {_cell(m.costs[0])} | "
        + ", ".join(f"{name} {count}" for name, count in sorted(m.costs[0].calls.items()))
        + " |"
        for m in measured
    ]
    size = job["leads"]
    per_lead = sum(job["calls"].values()) / size
    first, whole = job["first_pass_seconds"], job["seconds"]
    calls = ", ".join(f"{name} {count}" for name, count in sorted(job["calls"].items()))
    return f"""{START_MARKER}
## Workspace: pipelines, stages, tags, lead moves, the tag-rename job (moto)

Measured {stamp} (load average {load}) by `python -m leadgate_dev.bench.workspace`, moto in-process. Calls /
items read / items written on the leads and workspace tables (a call touching both is counted on each; the
rate limiter's calls are left out). The users' operations are in "Users" below.

| operation | status | calls / read / written | calls |
| --- | --- | --- | --- |
{chr(10).join(rows)}

### Tag-rename job throughput

{size:,} leads holding one tag, renamed by `PATCH /api/v1/tags/{{id}}` (202), the job's {job["pages"]} pages run by
functions/jobs_worker from moto's FIFO queue (first pass, then the sweep; its 60 s wait skipped).

| leads | first pass | leads / s | whole job (with the sweep) | leads / s | DynamoDB calls per lead |
| --- | --- | --- | --- | --- | --- |
| {size:,} | {first:.1f} s | {size / first:.0f} | {whole:.1f} s | {size / whole:.0f} | {per_lead:.2f} |

The job's calls: {calls}.
{END_MARKER}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadgate_dev.bench.workspace", description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=1_000, help="leads holding the renamed tag")
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for stdout only")
    args = parser.parse_args(argv)

    import boto3
    from moto import mock_aws

    from leadgate.aws import reset_clients
    from leadgate_dev.bench import backends
    from leadgate_dev.local.provision import provision

    backends.prepare_environment()
    backends.snapshot_moto_tables_once()
    backends.compare_moto_strings_directly()
    with mock_aws():
        resources = provision(dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"))
        os.environ.update(resources.environment())
        reset_clients()
        measured = operations()
        job = rename_job(args.leads)
    reset_clients()
    section = render(measured, job)
    print(section)
    failures = [m.name for m in measured if not m.ok]
    if args.output != "-":
        write_section(Path(args.output), section, START_MARKER, END_MARKER)
    if failures:
        print(f"UNEXPECTED STATUS: {failures}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
