"""Logging, metrics and tracing: the one decorator stack every handler uses.

Powertools' Tracer builds an X-Ray client when it is constructed (about 250 ms on top of boto3, measured
in docs/benchmarks.md), so it is built on the first invocation that is traced, never at import and never
outside Lambda.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

from leadgate import dependencies
from leadgate.settings import get_settings

_EMAIL = r"[^\s\"'<>@,;:]+@[^\s\"'<>@,;:]+"
_SEPARATOR = r"[\s\-\u2010\u2011\u2013\u2014\u30fc]"
# A number written in groups (090-1234-5678, +81 90 1234 5678) or in one run the way phones are stored
# (09012345678, +819012345678); dates, times and epoch seconds match neither shape.
_PHONE = (
    rf"(?<![\w:.])(?:\+\d{{1,3}}{_SEPARATOR}?)?\(?\d{{1,4}}\)?{_SEPARATOR}\d{{1,4}}{_SEPARATOR}\d{{3,4}}(?![\w:.])"
    r"|(?<![\w:.])(?:\+\d{10,15}|0\d{9,10})(?![\w:.])"
)
# Identifiers that are kept as they are, so logs can be joined on them: UUIDs (request and correlation ids),
# ULIDs (lead ids) and long hex ids (trace ids). Matched first and only as whole words, not inside an email.
_IDENTIFIER = (
    r"(?<![\w@.+\-])"
    r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}|[0-9a-fA-F]{16,})"
    r"(?![\w@\-])"
)
_PII = re.compile(rf"(?P<identifier>{_IDENTIFIER})|(?P<email>{_EMAIL})|(?P<phone>{_PHONE})")


def mask_pii(text: str) -> str:
    """`text` with emails and phone numbers replaced, identifiers left as they are."""
    return _PII.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    if match.lastgroup == "identifier":
        return match.group()
    return f"[{match.lastgroup}]"


class PiiMaskingFormatter(LambdaPowertoolsFormatter):
    """Masks email addresses and phone numbers anywhere in a log line, tracebacks and extra keys included,
    so a value quoted by an exception never reaches the logs."""

    def format(self, record: Any) -> str:
        return mask_pii(super().format(record))


logger = Logger(logger_formatter=PiiMaskingFormatter())
metrics = Metrics()

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


@cache
def _tracer() -> Any:
    from aws_lambda_powertools import Tracer

    return Tracer()


def observed(handler: LambdaHandler, *, capture_response: bool = True) -> LambdaHandler:
    """A Lambda entry point: correlation ids in logs, metrics flushed, traced when running in Lambda, AWS calls
    bounded by the invocation's deadline. `capture_response=False` keeps responses that carry credentials out
    of traces."""

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


def lambda_handler(resolver: Any, *, capture_response: bool = True) -> LambdaHandler:
    """The Lambda entry point for a resolver."""
    return observed(resolver.resolve, capture_response=capture_response)
