"""What the local stack must not forget on a restart, kept in `$LEADGATE_LOCAL_DIR/state.json` (mode 0600).

moto keeps Cognito, API Gateway and Secrets Manager in memory, and generates ids and secrets anew on every
create, so replaying the calls would not give back the same credentials. Instead:

- `snapshot()` reads, through the AWS APIs, everything a user made: the user pool's id, its app clients (ids,
  secrets, scopes, OAuth switches), the API keys (ids, values, enabled, usage-plan tiers) and the connections'
  secrets (names, ARNs, current and previous values). The admin CLI writes it (`save()`) after every command
  that changes something on the local stack, and the stack after its own start-up.
- At start, before provisioning, `restore_user_pool()` recreates the pool under its old id (so tokens issued
  before the restart still verify: same issuer, and moto's JWKS key is the same for every pool); after
  provisioning, `restore()` puts the app clients, API keys and secrets back with their ids, secrets and ARNs.
  It writes moto's backend objects directly: the moto server runs in the stack's own process
  (`ThreadedMotoServer`), and its APIs cannot set ids or secrets.

DynamoDB Local keeps the tables on disk, so the registries (clients, connections) need nothing here. The file
holds credentials: local use only, like the rest of `.local`.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any

from leadgate_dev.admin.usage_plans import stack_usage_plans

STATE_FILE = "state.json"
STATE_VERSION = 1
SECRET_PREFIX = "leadgate/"
ACCOUNT_ID = "123456789012"  # moto's default account, which the local stack's dummy credentials map to
_DATES = ("CreationDate", "LastModifiedDate")
# describe_user_pool_client keys that are not the client's settings
_CLIENT_IDENTITY_KEYS = ("ClientId", "ClientSecret", "UserPoolId", *_DATES)


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
            clients.append({key: value for key, value in described["UserPoolClient"].items() if key not in _DATES})
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


# ---------------------------------------------------------------- writing it back (the stack's process)


def restore_user_pool(state: dict[str, Any], *, name: str, region: str) -> str | None:
    """Before provisioning: the pool named `name` under its saved id (provisioning then finds it by name)."""
    from moto.cognitoidp.models import cognitoidp_backends

    pool_id = state.get("user_pool_id")
    if not pool_id:
        return None
    backend = cognitoidp_backends[ACCOUNT_ID][region]
    if pool_id in backend.user_pools:
        return pool_id
    pool = backend.create_user_pool(name, {})
    del backend.user_pools[pool.id]
    pool.id = pool_id
    pool.arn = f"arn:aws:cognito-idp:{region}:{ACCOUNT_ID}:userpool/{pool_id}"
    backend.user_pools[pool_id] = pool
    return pool_id


def restore(
    state: dict[str, Any], *, user_pool_id: str, usage_plans: dict[str, str], region: str, secretsmanager: Any
) -> dict[str, int]:
    """After provisioning: app clients, API keys and secrets with their saved ids, values and ARNs."""
    restored = {"app_clients": 0, "api_keys": 0, "secrets": 0}
    if state.get("user_pool_id") == user_pool_id:  # clients of another pool would not verify anyway
        restored["app_clients"] = _restore_app_clients(state.get("app_clients", []), user_pool_id, region)
    restored["api_keys"] = _restore_api_keys(state.get("api_keys", []), usage_plans, region)
    restored["secrets"] = _restore_secrets(state.get("secrets", []), secretsmanager, region)
    return restored


def _restore_app_clients(clients: list[dict[str, Any]], user_pool_id: str, region: str) -> int:
    from moto.cognitoidp.models import cognitoidp_backends

    pool = cognitoidp_backends[ACCOUNT_ID][region].user_pools[user_pool_id]
    count = 0
    for saved in clients:
        if saved["ClientId"] in pool.clients:
            continue
        settings = {key: value for key, value in saved.items() if key not in _CLIENT_IDENTITY_KEYS}
        client = cognitoidp_backends[ACCOUNT_ID][region].create_user_pool_client(
            user_pool_id, bool(saved.get("ClientSecret")), settings
        )
        del pool.clients[client.id]
        client.id = saved["ClientId"]
        if saved.get("ClientSecret"):
            client.secret = saved["ClientSecret"]
        pool.clients[client.id] = client
        count += 1
    return count


def _restore_api_keys(keys: list[dict[str, Any]], usage_plans: dict[str, str], region: str) -> int:
    from moto.apigateway.models import apigateway_backends

    backend = apigateway_backends[ACCOUNT_ID][region]
    count = 0
    for saved in keys:
        if saved["id"] in backend.keys:
            continue
        key = backend.create_api_key(
            {
                "name": saved.get("name"),
                "description": saved.get("description"),
                "enabled": saved.get("enabled", False),
                "value": saved["value"],
                "tags": saved.get("tags") or {},
            }
        )
        del backend.keys[key.id]
        key.id = saved["id"]
        backend.keys[key.id] = key
        for tier in saved.get("tiers", []):
            if tier in usage_plans:
                backend.create_usage_plan_key(usage_plans[tier], {"keyId": key.id, "keyType": "API_KEY"})
        count += 1
    return count


def _restore_secrets(secrets: list[dict[str, Any]], secretsmanager: Any, region: str) -> int:
    from moto.secretsmanager.models import secretsmanager_backends

    backend = secretsmanager_backends[ACCOUNT_ID][region]
    count = 0
    for saved in secrets:
        if saved["name"] in backend.secrets or saved.get("current") is None:
            continue
        first = saved.get("previous") or saved["current"]
        secretsmanager.create_secret(
            Name=saved["name"], Description=saved.get("description", ""), SecretString=first, Tags=saved.get("tags", [])
        )
        if saved.get("previous"):
            secretsmanager.put_secret_value(SecretId=saved["name"], SecretString=saved["current"])
        backend.secrets[saved["name"]].arn = saved["arn"]
        count += 1
    return count
