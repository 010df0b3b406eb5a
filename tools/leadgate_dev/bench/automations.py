"""`make bench` (automations): what the runner asks of DynamoDB per automation run, first delivery and
redelivery of the journal's records; and the latency from a lead's create to its automation's last action on
the local stack.

    python -m leadgate_dev.bench.automations [--leads 50] [--output docs/benchmarks.md]

- **Latency** (`--part latency`, its own process): the local stack in-process (moto for every service), an
  automation on `lead.created` (`add_tag`, then `send_webhook` to a loopback receiver), and `--leads` leads
  created over HTTP one after the other: from the POST to the webhook's arrival, p50 and p99 (the stream and
  queue pollers' intervals included, as Lambda's event source mappings have theirs).

moto in-process with the stack provisioned from the template; two automations on `lead.created` (a condition on
`source`, then `add_tag` + `move_to_stage`; an `assign_round_robin` over 4 users); leads created through the
leads handler, the leads table's stream through the event stream function into the journal, and the journal's
stream handed to the runner in batches of the template's size, every DynamoDB call counted through botocore's
events (`bench.metering`).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from leadgate_dev.bench.events import _stream_records
from leadgate_dev.bench.webhooks import percentile, write_section
from leadgate_dev.harness.functions import ROOT

START_MARKER = "<!-- AUTOMATIONS BENCH START (python -m leadgate_dev.bench.automations) -->"
END_MARKER = "<!-- AUTOMATIONS BENCH END -->"
BATCH_SIZE = 100  # the template's BatchSize


def measure(leads: int) -> dict[str, Any]:

    from leadgate_dev.bench.backends import provisioned_moto
    from leadgate_dev.bench.metering import metered_dynamodb
    from leadgate_dev.harness import authorizer_context, call, handle
    from leadgate_dev.harness.events import rest_event
    from leadgate_dev.local.streams import stream_event

    with provisioned_moto() as resources:
        from leadgate.workspace import tags
        from leadgate.workspace.pipelines import store as pipelines
        from leadgate.workspace.users import service as users
        from leadgate.workspace.users.requests import UserCreate

        def api(function: str, method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
            event = rest_event(
                method, path, body=body, headers={"Host": "api.example.com"}, authorizer=authorizer_context("bench")
            )
            reply = call(function, event, budget_ms=30_000)
            assert reply.status in (200, 201), reply.body
            return reply.data

        api("leads", "POST", "/api/v1/leads", {"first_name": "Seed"})  # the default pipeline
        changes_seen = len(_stream_records(resources.tables["LEADS_TABLE"])[0])  # journaled before any automation
        user_ids = [
            users.create_user("bench", UserCreate(name=f"U{n}", email=f"u{n}@bench.example")).id for n in range(4)
        ]
        tags.create("bench", "partner", None, None)
        (pipeline,) = pipelines.all_pipelines("bench")
        api(
            "automations",
            "POST",
            "/api/v1/automations",
            {
                "name": "Partner leads",
                "trigger": {"type": "lead.created"},
                "conditions": {"rules": [{"field": "source", "operator": "equals", "value": "partner"}]},
                "actions": [
                    {"type": "add_tag", "tag": "partner"},
                    {"type": "move_to_stage", "stage_id": pipeline.stage_ids[1]},
                ],
            },
        )
        api(
            "automations",
            "POST",
            "/api/v1/automations",
            {
                "name": "Round robin",
                "trigger": {"type": "lead.created"},
                "actions": [{"type": "assign_round_robin", "user_ids": user_ids}],
            },
        )
        journal_table = resources.tables["EVENTS_TABLE"]
        for number in range(leads):
            api("leads", "POST", "/api/v1/leads", {"first_name": f"L{number}", "source": "partner"})
        changes, changes_arn = _stream_records(resources.tables["LEADS_TABLE"])
        changes = changes[changes_seen:]
        for first in range(0, len(changes), BATCH_SIZE):
            handle("event_stream", stream_event(changes[first : first + BATCH_SIZE], changes_arn))
        records, arn = _stream_records(journal_table)
        created = [
            record for record in records if '"type":"lead.created"' in record["dynamodb"]["NewImage"]["body"]["S"]
        ]
        batches = [created[first : first + BATCH_SIZE] for first in range(0, len(created), BATCH_SIZE)]
        with metered_dynamodb() as first:
            for batch in batches:
                assert handle("automation_runner", stream_event(batch, arn)) == {"batchItemFailures": []}
        with metered_dynamodb() as again:
            for batch in batches:
                handle("automation_runner", stream_event(batch, arn))
    return {"leads": leads, "runs": 2 * len(created), "first": first, "again": again}


def latency_part(leads: int) -> dict[str, Any]:
    import requests

    sys.path.insert(0, str(ROOT))  # the tests' loopback receiver
    from leadgate_dev.local.stack import COGNITO_TOKEN_PATH, LocalStack, StackConfig
    from tests.support.outbound import Receiver

    with tempfile.TemporaryDirectory() as directory, Receiver() as receiver:
        stack = LocalStack(StackConfig(port=0, local_dir=Path(directory), use_dynamodb_local=False, pool_size=4))
        stack.start()
        try:
            demo = stack.demo_client
            token = requests.post(
                f"{stack.url}{COGNITO_TOKEN_PATH}",
                data={"grant_type": "client_credentials"},
                auth=(demo["client_id"], demo["client_secret"]),
                timeout=30,
            ).json()["access_token"]
            session = requests.Session()
            session.headers["Authorization"] = f"Bearer {token}"
            assert session.post(f"{stack.url}/api/v1/tags", json={"name": "bench"}, timeout=30).ok
            automation = {
                "name": "Bench",
                "trigger": {"type": "lead.created"},
                "actions": [{"type": "add_tag", "tag": "bench"}, {"type": "send_webhook", "url": receiver.url}],
            }
            assert session.post(f"{stack.url}/api/v1/automations", json=automation, timeout=30).status_code == 201
            samples: list[float] = []
            for number in range(leads + 3):  # 3 to warm the functions up, not measured
                started = time.time()
                answer = session.post(f"{stack.url}/api/v1/leads", json={"first_name": f"B{number}"}, timeout=30)
                assert answer.status_code == 201, answer.text
                deadline = time.monotonic() + 30
                while len(receiver.received) <= number and time.monotonic() < deadline:
                    time.sleep(0.01)
                if number >= 3:
                    samples.append((receiver.received[number].at - started) * 1000)
        finally:
            stack.stop()
    return {"leads": leads, "p50": statistics.median(samples), "p99": percentile(samples, 0.99)}


def run_latency(leads: int) -> dict[str, Any]:
    answer = subprocess.run(
        [sys.executable, "-m", "leadgate_dev.bench.automations", "--part", "latency", "--leads", str(leads)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def render(result: dict[str, Any], latency: dict[str, Any]) -> str:
    first, again, runs = result["first"], result["again"], result["runs"]
    return f"""{START_MARKER}
## Automations: the runner's DynamoDB calls per run (moto)

{result["leads"]} leads created through the leads handler, each matching two automations on `lead.created`
(a condition on `source`, then `add_tag` + `move_to_stage`; `assign_round_robin` over 4 users): {runs} runs,
their `lead.created` records handed to the runner in batches of {BATCH_SIZE}. The calls include the lead writes
the actions make through the leads domain (each a read and ONE transaction, with the tag catalog and counts).

| delivery | DynamoDB calls | per run |
| --- | --- | ---: |
| first | {first.summary()} | {first.total_calls / max(runs, 1):.2f} |
| again (the same records redelivered) | {again.summary()} | {again.total_calls / max(runs, 1):.2f} |

Per batch: ONE Query of the tenant's automations. Per run: its claim (a conditional PutItem), the enrollment
(a conditional PutItem), each action (a GetItem of the lead, its transaction; round robin: a Query of the
users and the counter's UpdateItem), a PutItem of the run between steps and at its end, the counters'
UpdateItem. A redelivered record writes nothing new: the enrollment's PutItem (it holds for the same event),
the claim's failed PutItem and a GetItem of the run (finished: left as it is).

On the local stack (moto, in-process), from `POST /api/v1/leads` to the arrival of the automation's webhook
(`add_tag`, then `send_webhook`), {latency["leads"]} leads one after the other: p50 {latency["p50"]:.0f} ms, p99
{latency["p99"]:.0f} ms. It is mostly the pollers' intervals: the leads table's stream, then the journal's.

{END_MARKER}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadgate_dev.bench.automations")
    parser.add_argument("--leads", type=int, default=50)
    parser.add_argument("--part", choices=["latency"], help=argparse.SUPPRESS)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for stdout only")
    args = parser.parse_args(argv)
    if args.part == "latency":
        print(json.dumps(latency_part(min(args.leads, 30))))
        return 0
    section = render(measure(args.leads), run_latency(min(args.leads, 30)))
    print(section)
    if args.output != "-":
        write_section(Path(args.output), section, START_MARKER, END_MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
