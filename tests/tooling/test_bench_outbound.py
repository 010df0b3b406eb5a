"""The outbound webhooks bench (`python -m leadgate_dev.bench.outbound`): its calls part, in its own process as
`make bench` runs it, counts the design's calls per event (tests/integration/test_webhook_delivery_cost.py has
the same on the handlers), and the report carries them between its markers."""

from leadgate_dev.bench import outbound


def test_the_calls_part_counts_dispatch_and_delivery_and_the_report_shows_them():
    calls = outbound.run_part("calls", 12, 0)
    assert calls["dispatch"] == {"DynamoDB PutItem": 12, "DynamoDB Query": 1, "SQS SendMessageBatch": 2}
    assert calls["delivery"] == {"DynamoDB GetItem": 24, "DynamoDB UpdateItem": 24}
    local = {"samples": 3, "p50_ms": 250.0, "p99_ms": 700.0, "max_ms": 700.0, "burst": 12, "per_second": 30.0}
    section = outbound.render(calls, {**local, "first_after_ms": 900.0, "dynamodb": "DynamoDB Local"})
    assert section.startswith(outbound.START_MARKER) and section.endswith(outbound.END_MARKER)
    assert "| SQS SendMessageBatch | 2 | 0.17 |" in section and "p50 250 ms, p99 700 ms" in section
