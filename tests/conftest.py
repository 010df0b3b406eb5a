"""Shared fixtures. Handlers run in-process on moto; e2e tests start the local stack (tests/e2e/conftest.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness import call
from leadgate_dev.harness.events import lambda_context as make_lambda_context

ROOT = Path(__file__).resolve().parents[1]
EVENTS = ROOT / "events"


@pytest.fixture
def lambda_context():
    return make_lambda_context("test", "test-request", timeout_ms=30_000)


class FakeClock:
    """A clock the test moves by hand (`clock.now += 60`)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def sample_event(function: str, case: str) -> dict:
    """A sample event from events/<function>/<case>.json."""
    return json.loads((EVENTS / function / f"{case}.json").read_text())


@pytest.fixture
def invoke():
    """Invoke a function's handler with an event; returns (status, headers, parsed body). Each call is its
    own invocation, with a fresh deadline."""

    def _invoke(function: str, event: dict):
        reply = call(function, event, budget_ms=30_000)
        return reply.status, reply.headers, reply.body

    return _invoke


@pytest.fixture
def aws(monkeypatch):
    """moto in-process with the whole stack provisioned from template.yaml; yields the StackResources."""
    import boto3
    from moto import mock_aws

    from leadgate.aws import reset_clients
    from leadgate_dev.local.emulation import serialise_moto_dynamodb
    from leadgate_dev.local.provision import provision

    for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL") or name == "AWS_PROFILE"]:
        monkeypatch.delenv(name)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    serialise_moto_dynamodb()  # handlers may be driven from many threads (race tests)
    reset_clients()
    with mock_aws():
        resources = provision(dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"))
        for name, value in resources.environment().items():
            monkeypatch.setenv(name, value)
        reset_clients()
        yield resources
    reset_clients()


@pytest.fixture(name="caller_context")
def _caller_context_fixture():
    """`caller_context` (leadgate_dev.harness.authorizer_context) as a fixture too:
    `def test_x(caller_context): caller_context(tenant="beta")`."""
    return caller_context


@pytest.fixture
def fake_hubspot():
    """A loopback fake HubSpot API (tests/fakes/hubspot.py), started for the test."""
    from tests.fakes.hubspot import FakeHubSpot

    with FakeHubSpot() as fake:
        yield fake
