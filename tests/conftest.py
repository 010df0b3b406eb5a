"""Shared fixtures. Handlers run in-process on moto; e2e tests start the local stack (tests/e2e/conftest.py).
Helpers that are not fixtures are in tests/support."""

from __future__ import annotations

import json
import os
from urllib.parse import parse_qsl

import pytest
from hypothesis import settings

import leadgate.clock
from leadgate_dev.harness import authorizer_context, call
from leadgate_dev.harness.events import lambda_context as make_lambda_context
from tests.support.clock import FakeClock

# No per-example deadline in any hypothesis test: speed is the benchmarks' concern, and the first example of a
# test pays for what the code builds on first use (the tag alphabet, validators), which a loaded machine slows.
settings.register_profile("unit", deadline=None)
settings.load_profile("unit")


@pytest.fixture
def lambda_context():
    return make_lambda_context("test", "test-request", timeout_ms=30_000)


FROZEN_AT = 1_774_689_300.0  # 2026-03-28T09:15:00+00:00


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    """leadgate's time (`leadgate.clock`), frozen at FROZEN_AT: set or move `clock.now`, or set `clock.tick`."""
    fake = FakeClock(FROZEN_AT)
    monkeypatch.setattr(leadgate.clock, "source", fake)
    return fake


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
        # Without streams: moto copies every stream record on each transaction (a 5,000-lead test slows to a
        # crawl). A test of a stream enables its table's (tests/support/streams.py).
        resources = provision(dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"), streams=False)
        for name, value in resources.environment().items():
            monkeypatch.setenv(name, value)
        reset_clients()
        yield resources
    reset_clients()


@pytest.fixture
def caller_context():
    """leadgate_dev.harness.authorizer_context as a fixture: `def test_x(caller_context): caller_context(tenant=..)`."""
    return authorizer_context


@pytest.fixture
def fake_hubspot():
    """A loopback fake HubSpot API (tests/fakes/hubspot.py), started for the test."""
    from tests.fakes.hubspot import FakeHubSpot

    with FakeHubSpot() as fake:
        yield fake


@pytest.fixture
def cognito_token_endpoint(aws, monkeypatch):
    """Routes the function's requests to the pool's token URL to the stand-in; yields the forwarded forms."""
    import boto3
    import responses

    from leadgate.aws import reset_clients
    from leadgate.settings import get_settings
    from leadgate_dev.local import cognito as local_cognito
    from tests.support.cognito import TOKEN_URL

    monkeypatch.setenv("COGNITO_TOKEN_URL", TOKEN_URL)
    reset_clients()
    forwarded: list[dict] = []

    def answer(request):
        form = dict(parse_qsl(request.body))
        forwarded.append(form)
        status, body = local_cognito.issue_token(
            boto3.client("cognito-idp"),
            aws.user_pool_id,
            form,
            request.headers.get("Authorization"),
            get_settings().cognito_issuer,
        )
        return status, {"Content-Type": "application/json"}, json.dumps(body)

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, TOKEN_URL, callback=answer)
        yield forwarded
