"""`leadgate tags list --tenant T`: a tenant's tags catalog with exact lead counts (docs/workspace.md), read
in this process through leadgate's own catalog code against the target's workspace table."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any


def list_tags(environment: Mapping[str, str], tenant_id: str) -> list[dict[str, Any]]:
    """Every tag of the tenant, by name: 2 Queries (the tags, their count shards)."""
    from leadgate import aws

    os.environ.update(environment)
    aws.reset_clients()
    from leadgate.workspace import tags

    return [tag.record() for tag in sorted(tags.list_all(tenant_id), key=lambda tag: tag.name)]
