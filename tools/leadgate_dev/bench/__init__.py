"""Benchmarks: `python -m leadgate_dev.bench` (DynamoDB calls, import times, the layer's size),
`python -m leadgate_dev.bench.webhooks` and `python -m leadgate_dev.bench.sync`; they write docs/benchmarks.md."""
