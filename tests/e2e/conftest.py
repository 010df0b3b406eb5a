"""The session's local stack for the end-to-end tests (tests/support/stack.py starts and stops it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stack import LocalStack, running_stack, stop_stack


@pytest.fixture(scope="session")
def local_stack(tmp_path_factory) -> Iterator[LocalStack]:
    process, stack = running_stack(tmp_path_factory.mktemp("local-stack"))
    try:
        yield stack
    finally:
        stop_stack(process)


@pytest.fixture(scope="session")
def token_for(local_stack):
    """`token_for(client, scopes=None) -> access token` on the session's stack (client: a `clients create`
    result or `local_stack.demo_client`)."""
    return local_stack.token
