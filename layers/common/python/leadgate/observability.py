"""Logging, metrics and tracing: the one decorator stack every handler uses.

Powertools' Tracer builds an X-Ray client when it is constructed (about 250 ms on top of boto3, measured
in docs/benchmarks.md), so it is built on the first invocation that is traced, never at import and never
outside Lambda.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.metrics import MetricUnit

from leadgate import dependencies
from leadgate.masking import mask_pii
from leadgate.settings import get_settings


class PiiMaskingFormatter(LambdaPowertoolsFormatter):
    """Masks email addresses and phone numbers anywhere in a log line, tracebacks and extra keys included,
    so a value quoted by an exception never reaches the logs."""

    def format(self, record: Any) -> str:
        return mask_pii(super().format(record))


logger = Logger(logger_formatter=PiiMaskingFormatter())
metrics = Metrics()
# The template's POWERTOOLS_METRICS_NAMESPACE, for runs without it (tests, tools): a metric without a
# namespace would fail the invocation when it is flushed.
DEFAULT_NAMESPACE = "Leadgate"

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


@cache
def _tracer() -> Any:
    from aws_lambda_powertools import Tracer

    return Tracer()


def count(name: str, value: int = 1) -> None:
    """Add to a Count metric; the handler decorator flushes it with the invocation's other metrics."""
    metrics.namespace = metrics.namespace or DEFAULT_NAMESPACE
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def observed(target: Any, *, capture_response: bool = True) -> LambdaHandler:
    """The Lambda entry point for `target`, a resolver (its `resolve`) or a handler function: correlation ids in
    logs, metrics flushed, traced when running in Lambda, AWS calls bounded by the invocation's deadline.
    `capture_response=False` keeps responses that carry credentials out of traces."""
    handler: LambdaHandler = getattr(target, "resolve", target)

    @cache
    def traced() -> LambdaHandler:
        if not get_settings().tracing_enabled:
            return handler
        return _tracer().capture_lambda_handler(handler, capture_response=capture_response)

    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True)
    @metrics.log_metrics
    def entry_point(event: dict[str, Any], context: Any) -> dict[str, Any]:
        with dependencies.deadline(context):
            return traced()(event, context)

    return entry_point
