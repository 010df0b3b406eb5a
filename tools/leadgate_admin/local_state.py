"""The local stack's saved state, `$LEADGATE_LOCAL_DIR/state.json` (mode 0600): what it must not forget on a
restart.

moto keeps Cognito, API Gateway and Secrets Manager in memory, and generates ids and secrets anew on every
create, so replaying the calls would not give back the same credentials. Instead `snapshot()` reads, through
the AWS APIs, everything a user made: the user pool's id, its app clients (ids, secrets, scopes, OAuth
switches), the API keys (ids, values, enabled, usage-plan tiers) and the connections' secrets (names, ARNs,
current and previous values). The CLI writes it (`save()`) after every command that changes something on the
local stack, and the stack after its own start-up; the stack puts it back at start
(`leadgate_dev.local.state`).

DynamoDB Local keeps the tables on disk, so the registries (clients, connections) need nothing here. The file
holds credentials: local use only, like the rest of `.local`.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from leadgate_admin.usage_plans import stack_usage_plans

STATE_FILE = "state.json"
STATE_VERSION = 1
SECRET_PREFIX = "leadgate/"
DATE_KEYS = ("CreationDate", "LastModifiedDate")  # describe_user_pool_client timestamps, left out of the snapshot


# ---------------------------------------------------------------- the file


def load(local_dir: Path) -> dict[str, Any]:
    try:
        state = json.loads((local_dir / STATE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) and state.get("version") == STATE_VERSION else {}


def save(local_dir: Path, state: dict[str, Any]) -> None:
    """Atomically, readable by the owner only (it holds client secrets and connection secrets)."""
    local_dir.mkdir(parents=True, exist_ok=True)
    path = local_dir / STATE_FILE
    temporary = path.with_name(f".{STATE_FILE}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(state, handle, indent=2, default=str)
        handle.write("\n")
    os.replace(temporary, path)


# ---------------------------------------------------------------- reading the stack (any process)


def snapshot(*, cognito: Any, apigateway: Any, secretsmanager: Any, user_pool_id: str, stack: str) -> dict[str, Any]:
    return {
        "version": STATE_VERSION,
        "user_pool_id": user_pool_id,
        "app_clients": _app_clients(cognito, user_pool_id),
        "api_keys": _api_keys(apigateway, stack),
        "secrets": _secrets(secretsmanager),
    }


def _app_clients(cognito: Any, user_pool_id: str) -> list[dict[str, Any]]:
    clients = []
    for page in cognito.get_paginator("list_user_pool_clients").paginate(UserPoolId=user_pool_id, MaxResults=60):
        for listed in page["UserPoolClients"]:
            described = cognito.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=listed["ClientId"])
            clients.append({key: value for key, value in described["UserPoolClient"].items() if key not in DATE_KEYS})
    return clients


def _api_keys(apigateway: Any, stack: str) -> list[dict[str, Any]]:
    tiers_of: dict[str, list[str]] = {}
    for tier, plan in stack_usage_plans(apigateway, stack).items():
        for page in apigateway.get_paginator("get_usage_plan_keys").paginate(usagePlanId=plan["id"]):
            for key in page.get("items", []):
                tiers_of.setdefault(key["id"], []).append(tier)
    keys = []
    for page in apigateway.get_paginator("get_api_keys").paginate(includeValues=True):
        for key in page.get("items", []):
            keys.append(
                {
                    "id": key["id"],
                    "value": key["value"],
                    "name": key.get("name"),
                    "description": key.get("description"),
                    "enabled": key.get("enabled", False),
                    "tags": key.get("tags") or {},
                    "tiers": tiers_of.get(key["id"], []),
                }
            )
    return keys


def _secrets(secretsmanager: Any) -> list[dict[str, Any]]:
    secrets = []
    pages = secretsmanager.get_paginator("list_secrets").paginate(Filters=[{"Key": "name", "Values": [SECRET_PREFIX]}])
    for page in pages:
        for listed in page.get("SecretList", []):
            if not listed["Name"].startswith(SECRET_PREFIX):
                continue
            values = {}
            for stage in ("AWSPREVIOUS", "AWSCURRENT"):
                with contextlib.suppress(secretsmanager.exceptions.ResourceNotFoundException):
                    values[stage] = secretsmanager.get_secret_value(SecretId=listed["ARN"], VersionStage=stage)[
                        "SecretString"
                    ]
            secrets.append(
                {
                    "name": listed["Name"],
                    "arn": listed["ARN"],
                    "description": listed.get("Description", ""),
                    "tags": listed.get("Tags", []),
                    "previous": values.get("AWSPREVIOUS"),
                    "current": values.get("AWSCURRENT"),
                }
            )
    return secrets
