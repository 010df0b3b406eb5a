"""`make bench` (outbound webhooks): the AWS calls per event of dispatch and delivery, the delivery latency on the
local stack (a lead's create -> the receiver), and how many events per second one endpoint receives.

    python -m leadgate_dev.bench.outbound [--events 100] [--latency 50] [--output docs/benchmarks.md]

- **Calls** (`--part calls`, its own process): moto in-process with the stack provisioned from the template, one
  endpoint (a loopback receiver answering 200), `--events` `lead.created` events put in the journal as the event
  stream function puts them, the journal's stream records handed to the dispatcher in the template's batches, then
  the deliveries queue's messages to the sender in batches of 10. Every call the functions make on DynamoDB, SQS
  and Secrets Manager is counted through botocore's events (the event source's own receive and delete are not the
  function's calls).
- **Local stack** (`--part local`, its own process): the local stack in-process (DynamoDB Local's streams, the
  local stream and SQS pollers), the demo client over HTTP. Latency: `--latency` leads created one at a time, each
  timed from just before its POST to the receiver's answer. Throughput: `--events` deliveries held on a paused
  endpoint, then the endpoint resumed (a PATCH): the receiver's rate from its first to its last delivery.

The results replace the text between the OUTBOUND markers of `--output`, above the generated part that
`make bench` rewrites.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from leadgate_dev.bench.webhooks import percentile, write_section
from leadgate_dev.harness.functions import ROOT

START_MARKER = "<!-- OUTBOUND BENCH START (python -m leadgate_dev.bench.outbound) -->"
END_MARKER = "<!-- OUTBOUND BENCH END -->"
DISPATCH_BATCH = 100  # the template's BatchSize of the dispatcher's stream event
SEND_BATCH = 10  # ... and of the sender's SQS event


class Receiver:
    """A loopback webhook receiver answering 200 at once; `times` holds each request's arrival (monotonic)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        times = self.times

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                times.append(time.monotonic())
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, count: int, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while len(self.times) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self.times)} of {count} deliveries arrived")
            time.sleep(0.002)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@contextmanager
def counted_calls(*clients: Any) -> Iterator[Counter[str]]:
    """Every call made on `clients` inside the block, as `service Operation` -> count."""
    counts: Counter[str] = Counter()

    def after(model: Any, **_: Any) -> None:
        counts[f"{model.service_model.service_id} {model.name}"] += 1

    for client in clients:
        client.meta.events.register("after-call", after, unique_id="leadgate-outbound-bench")
    try:
        yield counts
    finally:
        for client in clients:
            client.meta.events.unregister("after-call", unique_id="leadgate-outbound-bench")


# ---------------------------------------------------------------- calls per event (moto)


def calls_part(events: int) -> dict[str, Any]:
    import boto3

    from leadgate import aws, clock
    from leadgate.events import journal
    from leadgate.events.model import Event
    from leadgate_dev.bench.backends import provisioned_moto
    from leadgate_dev.bench.events import _stream_records
    from leadgate_dev.harness import authorizer_context, call, handle
    from leadgate_dev.harness.events import rest_event
    from leadgate_dev.local.event_sources import sqs_event
    from leadgate_dev.local.streams import stream_event

    receiver = Receiver()
    with provisioned_moto(ALLOW_LOOPBACK_URLS="true") as resources:
        authorizer = authorizer_context("bench", scopes=("write:webhooks",))
        created = call(
            "webhook_endpoints",
            rest_event("POST", "/api/v1/webhook-endpoints", body={"url": receiver.url}, authorizer=authorizer),
        )
        assert created.status == 201, created.body
        for number in range(events):
            journal.append(
                Event(
                    id=f"evt_bench{number:06d}",
                    type="lead.created",
                    occurred_at=clock.iso(clock.now()),
                    tenant="bench",
                    actor="client:bench",
                    lead_id=f"L{number}",
                    sequence=1,
                    data={"id": f"L{number}", "first_name": "Bench"},
                )
            )
        records, arn = _stream_records(resources.tables["EVENTS_TABLE"])
        functions_clients = (aws.dynamodb(), aws.sqs(), aws.secretsmanager())
        with counted_calls(*functions_clients) as dispatch:
            for first in range(0, len(records), DISPATCH_BATCH):
                batch = records[first : first + DISPATCH_BATCH]
                assert handle("webhook_dispatcher", stream_event(batch, arn)) == {"batchItemFailures": []}
        sqs, queue_url = boto3.client("sqs"), resources.queues["DeliveriesQueue"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        with counted_calls(*functions_clients) as delivery:
            while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=SEND_BATCH).get("Messages"):
                assert handle("webhook_sender", sqs_event(messages, queue_arn)) == {"batchItemFailures": []}
                sqs.delete_message_batch(
                    QueueUrl=queue_url,
                    Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(messages)],
                )
    receiver.close()
    assert len(receiver.times) == events, f"{len(receiver.times)} of {events} delivered"
    return {"events": events, "dispatch": dict(dispatch), "delivery": dict(delivery)}


# ---------------------------------------------------------------- latency and throughput (local stack)


def local_part(latency_samples: int, burst: int) -> dict[str, Any]:
    import requests

    from leadgate_dev.local.stack import LocalStack, StackConfig

    receiver, held = Receiver(), Receiver()
    with tempfile.TemporaryDirectory() as directory:
        stack = LocalStack(StackConfig(port=0, local_dir=Path(directory)))
        stack.start()
        try:
            session = requests.Session()
            client = stack.demo_client
            token = session.post(
                stack.token_url,
                data={"grant_type": "client_credentials"},
                auth=(client["client_id"], client["client_secret"]),
                timeout=30,
            ).json()["access_token"]
            session.headers["Authorization"] = f"Bearer {token}"

            def api(method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
                answer = session.request(method, f"{stack.url}{path}", json=body, timeout=30)
                assert answer.status_code in (200, 201), answer.text
                return answer.json()

            endpoint = api("POST", "/api/v1/webhook-endpoints", {"url": receiver.url, "event_types": ["lead.created"]})
            latencies = []
            for number in range(latency_samples + 3):  # 3 to warm the functions up, not measured
                started = time.monotonic()
                api("POST", "/api/v1/leads", {"first_name": f"Latency{number}", "status": "new"})
                receiver.wait_for(number + 1)
                if number >= 3:
                    latencies.append((receiver.times[number] - started) * 1000)
            api("PATCH", f"/api/v1/webhook-endpoints/{endpoint['data']['id']}", {"active": False})

            paused = api(
                "POST",
                "/api/v1/webhook-endpoints",
                {"url": held.url, "event_types": ["lead.created"], "active": False},
            )["data"]
            for number in range(burst):
                api("POST", "/api/v1/leads", {"first_name": f"Burst{number}", "status": "new"})
            deliveries = f"/api/v1/webhook-endpoints/{paused['id']}/deliveries?status=paused&per_page=100"
            deadline = time.monotonic() + 60
            while len(api("GET", deliveries)["data"]) < min(burst, 100) and time.monotonic() < deadline:
                time.sleep(0.2)
            resumed = time.monotonic()
            api("PATCH", f"/api/v1/webhook-endpoints/{paused['id']}", {"active": True})
            held.wait_for(burst, timeout=120)
        finally:
            stack.stop()
            receiver.close()
            held.close()
    spread = held.times[-1] - held.times[0]
    return {
        "samples": latency_samples,
        "p50_ms": percentile(latencies, 0.5),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
        "burst": burst,
        "per_second": (burst - 1) / spread if spread else float("inf"),
        "first_after_ms": (held.times[0] - resumed) * 1000,
        "dynamodb": "DynamoDB Local" if stack.config.use_dynamodb_local else "moto",
    }


# ---------------------------------------------------------------- report


def _calls_table(counts: dict[str, int], events: int) -> str:
    rows = [f"| {name} | {count} | {count / events:.2f} |" for name, count in sorted(counts.items())]
    total = sum(counts.values())
    return "\n".join(
        ["| call | count | per event |", "| --- | ---: | ---: |", *rows, f"| total | {total} | {total / events:.2f} |"]
    )


def render(calls: dict[str, Any], local: dict[str, Any]) -> str:
    events = calls["events"]
    return f"""{START_MARKER}
## Outbound webhooks: calls per event, delivery latency and one endpoint's rate

**Calls per event** (moto, the handlers; {events} `lead.created` events, one endpoint that wants them, every
delivery answered 200 at the first attempt). Dispatch (the journal's stream, batches of {DISPATCH_BATCH}):

{_calls_table(calls["dispatch"], events)}

Delivery (the deliveries queue, batches of {SEND_BATCH}; the event source's receive and delete are Lambda's, not
counted; the signing secret is cached per process for 5 minutes, so no Secrets Manager call shows here):

{_calls_table(calls["delivery"], events)}

**Latency on the local stack** ({local["dynamodb"]}; the demo client over HTTP; {local["samples"]} leads created
one at a time, each from just before its `POST /api/v1/leads` to the receiver's request: the leads table's
stream, the event stream function, the journal's stream, the dispatcher, the deliveries queue, the sender):
p50 {local["p50_ms"]:.0f} ms, p99 {local["p99_ms"]:.0f} ms, max {local["max_ms"]:.0f} ms. Two stream hops, each
polled every 0.2 s when idle, account for up to 0.4 s of it.

**One endpoint's rate** (local stack): {local["burst"]} deliveries held on a paused endpoint, then released by a
PATCH: the first arrived {local["first_after_ms"]:.0f} ms after the PATCH, and the endpoint received
{local["per_second"]:.0f} events per second (first to last). That is the local stack's figure: one process on
shared cores, 2 pollers of batches of 10 (each record in its own thread), DynamoDB Local; Lambda runs up to
`MaximumConcurrency` (20) sender batches at once.

{END_MARKER}"""


def run_part(part: str, events: int, latency: int) -> dict[str, Any]:
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "leadgate_dev.bench.outbound",
            "--part",
            part,
            "--events",
            str(events),
            "--latency",
            str(latency),
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadgate_dev.bench.outbound")
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--latency", type=int, default=50)
    parser.add_argument("--part", choices=["calls", "local"], help=argparse.SUPPRESS)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for stdout only")
    args = parser.parse_args(argv)
    if args.part == "calls":
        print(json.dumps(calls_part(args.events)))
        return 0
    if args.part == "local":
        print(json.dumps(local_part(args.latency, args.events)))
        return 0
    section = render(run_part("calls", args.events, args.latency), run_part("local", args.events, args.latency))
    print(section)
    if args.output != "-":
        write_section(Path(args.output), section, START_MARKER, END_MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
