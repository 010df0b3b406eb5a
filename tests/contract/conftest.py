"""A local stack of its own for the contract run, and a client whose rate limits never interfere."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.stack import LocalStack, running_stack, stop_stack

CONTRACT_TENANT = "contract"
# Far above anything a run sends: 429s from our own limiter would hide the answers under test.
HOURLY_LIMIT = 100_000_000


@pytest.fixture(scope="session")
def contract_stack(tmp_path_factory) -> Iterator[LocalStack]:
    process, stack = running_stack(tmp_path_factory.mktemp("contract-stack"))
    try:
        yield stack
    finally:
        stop_stack(process)


@pytest.fixture(scope="session")
def contract_token(contract_stack) -> str:
    """A token with every scope for a partner-tier client (the larger usage plan) with a huge hourly limit."""
    client = contract_stack.admin_json("clients", "create", "--tenant", CONTRACT_TENANT, "--tier", "partner")
    contract_stack.admin("clients", "set-limits", client["client_id"], "--hourly", str(HOURLY_LIMIT))
    return contract_stack.token(client)
