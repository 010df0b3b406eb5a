"""Fixtures for handler tests on moto (the Cognito stand-in, `cognito_token_endpoint`, is in tests/conftest.py,
for the property suite too)."""

from __future__ import annotations

import socket

import pytest


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
