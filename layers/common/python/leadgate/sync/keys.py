"""Keys of the sync table: one item collection per connection, under its tenant.

| item | pk | sk |
| --- | --- | --- |
| lease | `T#{tenant}#C#{connection}` | `LEASE` |
| checkpoint | same | `CHECKPOINT#{direction}` (`pull`, `push`) |
| run record | same | `RUN#{run id}` (a ULID: newest last, so a descending Query lists newest first) |
| content hash | same | `HASH#{external id}` |

Every key starts with the tenant, built from the caller's tenant, so another tenant's connection id reads
nothing.
"""

from __future__ import annotations

from typing import Any

from leadgate.settings import get_settings

LEASE_SK = "LEASE"
RUN_PREFIX = "RUN#"
HASH_PREFIX = "HASH#"
CHECKPOINT_PREFIX = "CHECKPOINT#"
DIRECTIONS = ("pull", "push")


def table() -> str:
    return get_settings().sync_table


def partition(tenant_id: str, connection_id: str) -> str:
    return f"T#{tenant_id}#C#{connection_id}"


def key(tenant_id: str, connection_id: str, sk: str) -> dict[str, Any]:
    return {"pk": {"S": partition(tenant_id, connection_id)}, "sk": {"S": sk}}


def checkpoint_sk(direction: str) -> str:
    if direction not in DIRECTIONS:
        raise ValueError(f"unknown sync direction {direction!r}")
    return f"{CHECKPOINT_PREFIX}{direction}"


def run_sk(run_id: str) -> str:
    return f"{RUN_PREFIX}{run_id}"


def hash_sk(external_id: str) -> str:
    return f"{HASH_PREFIX}{external_id}"
