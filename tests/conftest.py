"""Shared fixtures. Handlers run in-process on moto; e2e tests start the local stack (tests/e2e/conftest.py)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from leadgate_dev.functions import load_function

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


@pytest.fixture
def lambda_context():
    return SimpleNamespace(
        function_name="test",
        memory_limit_in_mb=256,
        invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:test",
        aws_request_id="test-request",
        get_remaining_time_in_millis=lambda: 30_000,
    )


def sample_event(function: str, case: str) -> dict:
    """A sample event from events/<function>/<case>.json."""
    return json.loads((EVENTS / function / f"{case}.json").read_text())


@pytest.fixture
def invoke(lambda_context):
    """Invoke a function's handler with an event; returns (status, headers, parsed body)."""

    def _invoke(function: str, event: dict):
        response = load_function(function).lambda_handler(event, lambda_context)
        body = response.get("body") or ""
        return response["statusCode"], response.get("headers") or {}, json.loads(body) if body else None

    return _invoke
