"""Fixtures for handler tests on moto."""

from __future__ import annotations

import json
import socket
from urllib.parse import parse_qsl

import boto3
import pytest
import responses

from leadgate.aws import reset_clients
from leadgate.settings import get_settings
from leadgate_dev.local import cognito as local_cognito

TOKEN_URL = "https://leadgate-test-123456789012.auth.us-east-1.amazoncognito.com/oauth2/token"


@pytest.fixture
def cognito_token_endpoint(aws, monkeypatch):
    """Routes the function's requests to the pool's token URL to the stand-in; yields the forwarded forms."""
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


@pytest.fixture
def closed_port():
    """A loopback port where nothing listens: connections are refused at once (a stopped DynamoDB)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: nothing else takes the port meanwhile
        yield sock.getsockname()[1]


@pytest.fixture
def hung_port():
    """A loopback port that accepts connections and never answers (a paused DynamoDB, a network partition)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)  # the kernel completes the handshakes; nobody ever reads or writes
        yield sock.getsockname()[1]
