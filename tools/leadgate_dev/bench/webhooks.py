"""`make bench-webhooks`: the webhook receiver's latency on the local stack and the worker's calls per event.

    python -m leadgate_dev.bench.webhooks [--deliveries 200] [--output docs/benchmarks.md]

- **Receiver** (`--part receiver`, its own process): the local stack in-process (moto for every service,
  so nothing else competes), a Standard Webhooks connection, and `--deliveries` signed `lead.created`
  deliveries over HTTP, each followed by a GET /api/v1/health in the same run; p50 and p99 of each. The
  worker runs meanwhile (the local SQS event source), as it would.
- **Worker** (`--part worker`, its own process): moto in-process, a HubSpot connection (private-app token)
  on the loopback fake HubSpot of the tests, events queued by the receiver's own code and consumed by the
  local event source (`leadgate_dev.local.event_sources.QueuePoller`) in batches of the template's size.
  Every AWS call is counted through botocore's events, per service, for the first (cold) batch and the next
  (warm) ones, per event.

The results replace the text between the WEBHOOKS markers of `--output`, above the generated part that
`make bench` rewrites, so each bench keeps the other's figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from leadgate_dev.harness.functions import ROOT

START_MARKER = "<!-- WEBHOOKS BENCH START (python -m leadgate_dev.bench.webhooks) -->"
END_MARKER = "<!-- WEBHOOKS BENCH END -->"
WORKER_BATCHES = 4  # the first cold, the rest warm


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


# ---------------------------------------------------------------- receiver latency


def receiver_part(deliveries: int) -> dict[str, Any]:
    import requests
    from standardwebhooks import Webhook

    from leadgate_admin.cli import local_target
    from leadgate_dev.local.stack import LocalStack, StackConfig

    with tempfile.TemporaryDirectory() as directory:
        stack = LocalStack(StackConfig(port=0, local_dir=Path(directory), use_dynamodb_local=False, pool_size=4))
        stack.start()
        try:
            connection = local_target(Path(directory)).connections().create("bench", "standard", {})
            webhook, url = Webhook(connection["signing_secret"]), connection["webhook_url"]
            session = requests.Session()
            timings: dict[str, list[float]] = {"receiver": [], "health": []}
            statuses: Counter[str] = Counter()
            for number in range(deliveries + 5):  # 5 to warm both functions up, not measured
                body = json.dumps({"type": "lead.created", "data": {"email": f"bench{number}@example.jp"}})
                now = datetime.now(UTC)
                headers = {
                    "Content-Type": "application/json",
                    "webhook-id": f"msg_bench_{number}",
                    "webhook-timestamp": str(int(now.timestamp())),
                    "webhook-signature": webhook.sign(f"msg_bench_{number}", now, body),
                }
                started = time.perf_counter()
                answer = session.post(url, data=body.encode(), headers=headers, timeout=30)
                receiver_ms = (time.perf_counter() - started) * 1000
                started = time.perf_counter()
                health = session.get(f"{stack.url}/api/v1/health", timeout=30)
                health_ms = (time.perf_counter() - started) * 1000
                statuses[f"{answer.status_code}/{health.status_code}"] += 1
                if number >= 5:
                    timings["receiver"].append(receiver_ms)
                    timings["health"].append(health_ms)
        finally:
            stack.stop()
    return {
        "deliveries": deliveries,
        "statuses": dict(statuses),
        **{
            name: {"p50": statistics.median(samples), "p99": percentile(samples, 0.99)}
            for name, samples in timings.items()
        },
    }


# ---------------------------------------------------------------- worker calls per event


def worker_part() -> dict[str, Any]:
    import boto3
    from moto import mock_aws

    sys.path.insert(0, str(ROOT))  # the tests' loopback fake HubSpot
    from tests.fakes.hubspot import FakeHubSpot

    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
            "POWERTOOLS_LOG_LEVEL": "WARNING",
        }
    )
    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL")]:
        del os.environ[name]
    with mock_aws(), FakeHubSpot() as fake:
        from leadgate import aws
        from leadgate.settings import get_settings
        from leadgate_dev.local.provision import provision

        resources = provision(dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"))
        os.environ.update(resources.environment())
        get_settings.cache_clear()
        aws.reset_clients()
        return _measure_worker(resources, fake)


def _measure_worker(resources: Any, fake: Any) -> dict[str, Any]:
    import boto3

    from leadgate import aws
    from leadgate.connections.registry import ConnectionRegistry
    from leadgate.connections.secrets import default_store
    from leadgate.webhooks.events import split_hubspot
    from leadgate.webhooks.queue import send_events
    from leadgate_admin.connections import ConnectionAdmin
    from leadgate_dev import template
    from leadgate_dev.local.event_sources import QueuePoller
    from leadgate_dev.local.instances import FunctionPool

    fake.add_private_token("pat-bench")
    admin = ConnectionAdmin(ConnectionRegistry.from_settings(), default_store(), "http://bench")
    options = {"portal_id": "1", "app_id": "1", "client_id": "c", "client_secret": "s", "access_token": "pat-bench"}
    connection = admin.create("bench", "hubspot", options, base_url=fake.url)
    (spec,) = template.sqs_event_sources()
    poller_sqs = boto3.client("sqs")
    poller = QueuePoller(
        spec, sqs=poller_sqs, queue_url=resources.queues[spec.queue], functions=FunctionPool(1), visibility_timeout=0
    )
    calls: Counter[str] = Counter()
    clients = {"dynamodb": aws.dynamodb(), "sqs": aws.sqs(), "secretsmanager": aws.secretsmanager()}
    for service, client in {**clients, "sqs (event source)": poller_sqs}.items():
        client.meta.events.register(
            "before-call.*.*", lambda service=service, **_: calls.update([service]), unique_id=f"bench-{service}"
        )
    from leadgate.connections import registry

    default_store().forget(connection_arn(connection["connection_id"]))
    registry.clear_cache()  # cold: the first batch reads the connection and its secret
    rounds = []
    for batch in range(WORKER_BATCHES):
        raw = [
            {
                "eventId": batch * 100 + number,
                "subscriptionType": "contact.creation",
                "objectId": int(fake.add_contact(email=f"w{batch}-{number}@example.jp")),
                "occurredAt": int(time.time() * 1000),
            }
            for number in range(spec.batch_size)
        ]
        events = split_hubspot(raw, connection_id=connection["connection_id"], tenant_id="bench")
        send_events(events)
        hubspot_before = len(fake.requests)
        calls.clear()
        received = 0
        while received < len(events):
            received += poller.poll_once()
        per_event = {service: calls[service] / len(events) for service in (*clients, "sqs (event source)")}
        per_event["hubspot http"] = (len(fake.requests) - hubspot_before) / len(events)
        rounds.append(per_event)
    warm = rounds[1:]
    return {
        "batch_size": spec.batch_size,
        "cold": rounds[0],
        "warm": {name: sum(r[name] for r in warm) / len(warm) for name in rounds[0]},
    }


def connection_arn(connection_id: str) -> str:
    from leadgate.connections.registry import get_connection

    connection = get_connection(connection_id, fresh=True)
    assert connection is not None and connection.secret_arn
    return connection.secret_arn


# ---------------------------------------------------------------- report


def render(receiver: dict[str, Any], worker: dict[str, Any]) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    services = ("dynamodb", "sqs", "sqs (event source)", "secretsmanager", "hubspot http")
    rows = "\n".join(f"| {name} | {worker['cold'][name]:.2f} | {worker['warm'][name]:.2f} |" for name in services)
    return f"""{START_MARKER}

## Webhooks

Measured {when} (load average {load}) by `python -m leadgate_dev.bench.webhooks`.

**Receiver latency** on the local stack (moto for every service), {receiver["deliveries"]} signed Standard
Webhooks deliveries over HTTP, each followed by the health route in the same run (statuses
receiver/health: {receiver["statuses"]}):

| route | p50 ms | p99 ms |
| --- | ---: | ---: |
| POST /webhooks/{{connection_id}} (202) | {receiver["receiver"]["p50"]:.1f} | {receiver["receiver"]["p99"]:.1f} |
| GET /api/v1/health | {receiver["health"]["p50"]:.1f} | {receiver["health"]["p99"]:.1f} |

**Worker calls per event** (HubSpot `contact.creation`, batches of {worker["batch_size"]} from the local SQS
event source; cold = the instance's first batch, warm = the mean of the next {WORKER_BATCHES - 1}):

| calls per event | cold | warm |
| --- | ---: | ---: |
{rows}

`sqs` is the worker's own calls (none: the event source mapping deletes what succeeded);
`sqs (event source)` is the poller's ReceiveMessage and DeleteMessageBatch, shared by the batch.

{END_MARKER}"""


def write_section(path: Path, section: str, start: str = START_MARKER, end: str = END_MARKER) -> None:
    """`section` (from `start` to `end`) in place of the one there, else above what `make bench` generates."""
    text = path.read_text(encoding="utf-8")
    if start in text:
        before, rest = text.split(start, 1)
        after = rest.split(end, 1)[1]
        text = before + section + after
    else:  # first run: above the part `make bench` generates
        marker = "<!-- Everything below is generated"
        before, after = text.split(marker, 1)
        text = before + section + "\n\n" + marker + after
    path.write_text(text, encoding="utf-8")


def run_part(part: str, deliveries: int) -> dict[str, Any]:
    answer = subprocess.run(
        [sys.executable, "-m", "leadgate_dev.bench.webhooks", "--part", part, "--deliveries", str(deliveries)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadgate_dev.bench.webhooks")
    parser.add_argument("--deliveries", type=int, default=200)
    parser.add_argument("--part", choices=["receiver", "worker"], help=argparse.SUPPRESS)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for stdout only")
    args = parser.parse_args(argv)
    if args.part == "receiver":
        print(json.dumps(receiver_part(args.deliveries)))
        return 0
    if args.part == "worker":
        print(json.dumps(worker_part()))
        return 0
    section = render(run_part("receiver", args.deliveries), run_part("worker", args.deliveries))
    print(section)
    if args.output != "-":
        write_section(Path(args.output), section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
