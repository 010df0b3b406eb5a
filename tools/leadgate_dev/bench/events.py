"""`make bench` (events): what the event stream function asks of DynamoDB per event, first delivery and
redelivery, and what a lead's create and update cost with the actor stamped (unchanged: the same calls).

    python -m leadgate_dev.bench.events [--leads 50] [--output docs/benchmarks.md]

moto in-process with the stack provisioned from the template; leads created and changed through the leads
handler (harness), the leads table's stream read as Lambda hands it over (`leadgate_dev.local.streams`), and
every DynamoDB call of the stream function counted through botocore's events (`bench.metering`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from leadgate_dev.bench.webhooks import write_section
from leadgate_dev.harness.functions import ROOT

START_MARKER = "<!-- EVENTS BENCH START (python -m leadgate_dev.bench.events) -->"
END_MARKER = "<!-- EVENTS BENCH END -->"
BATCH_SIZE = 100  # the template's BatchSize


def _stream_records(table: str) -> tuple[list[dict[str, Any]], str]:
    import boto3

    streams = boto3.client("dynamodbstreams")
    arn = boto3.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        page = streams.get_records(ShardIterator=iterator["ShardIterator"])
        while page["Records"]:
            records += page["Records"]
            page = streams.get_records(ShardIterator=page["NextShardIterator"])
    return records, arn


def measure(leads: int) -> dict[str, Any]:
    import boto3

    from leadgate_dev.bench.backends import provisioned_moto
    from leadgate_dev.bench.metering import metered_dynamodb
    from leadgate_dev.harness import authorizer_context, call, handle
    from leadgate_dev.harness.events import rest_event
    from leadgate_dev.local.streams import stream_event

    with provisioned_moto() as resources:

        def leads_call(method: str, path: str, body: dict[str, Any]) -> dict[str, Any]:
            event = rest_event(
                method, path, body=body, headers={"Host": "api.example.com"}, authorizer=authorizer_context("bench")
            )
            reply = call("leads", event, budget_ms=30_000)
            assert reply.status in (200, 201), reply.body
            return reply.data

        writes: dict[str, str] = {}
        for number in range(leads):
            with metered_dynamodb() as create:
                lead = leads_call("POST", "/api/v1/leads", {"first_name": f"L{number}", "status": "new"})
            with metered_dynamodb() as patch:
                leads_call("PATCH", f"/api/v1/leads/{lead['id']}", {"status": "won", "tags": ["vip"]})
            writes = {"create": create.summary(), "patch (status + one tag)": patch.summary()}
        records, arn = _stream_records(resources.tables["LEADS_TABLE"])
        batches = [records[first : first + BATCH_SIZE] for first in range(0, len(records), BATCH_SIZE)]
        with metered_dynamodb() as first:
            for batch in batches:
                assert handle("event_stream", stream_event(batch, arn)) == {"batchItemFailures": []}
        journaled = boto3.client("dynamodb").scan(TableName=resources.tables["EVENTS_TABLE"], Select="COUNT")["Count"]
        with metered_dynamodb() as again:
            for batch in batches:
                handle("event_stream", stream_event(batch, arn))
    return {
        "leads": leads,
        "records": len(records),
        "events": journaled,
        "first": first,
        "again": again,
        "writes": writes,
    }


def render(result: dict[str, Any]) -> str:
    events = result["events"]
    first, again = result["first"], result["again"]
    writes = "\n".join(f"| {name} | {summary} |" for name, summary in result["writes"].items())
    return f"""{START_MARKER}
## Events: the stream function's DynamoDB calls per event (moto)

{result["leads"]} leads created and then changed (status and one tag) through the leads handler:
{result["records"]} stream records (lead, identity, tag, search and inquiry items), {events} events journaled.

| delivery | DynamoDB calls | per event |
| --- | --- | ---: |
| first | {first.summary()} | {first.total_calls / max(events, 1):.2f} |
| again (the same records redelivered) | {again.summary()} | {again.total_calls / max(events, 1):.2f} |

One conditional PutItem per event, nothing else (no read: the images carry the lead); a redelivered record
writes nothing (its puts fail their condition). The write paths with the actor stamped on the lead item (the
same calls as before this change; two attributes more on the lead and inquiry items):

| write | DynamoDB |
| --- | --- |
{writes}

{END_MARKER}"""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadgate_dev.bench.events")
    parser.add_argument("--leads", type=int, default=50)
    parser.add_argument("--output", default=str(ROOT / "docs" / "benchmarks.md"), help="'-' for stdout only")
    args = parser.parse_args(argv)
    section = render(measure(args.leads))
    print(section)
    if args.output != "-":
        write_section(Path(args.output), section, START_MARKER, END_MARKER)
    return 0


if __name__ == "__main__":
    sys.exit(main())
