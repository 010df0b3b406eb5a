"""Putting the local stack's saved state back at start (the file and its snapshot: `leadgate_admin.local_state`).

Before provisioning, `restore_user_pool()` recreates the pool under its old id (so tokens issued before the
restart still verify: same issuer, and moto's JWKS key is the same for every pool); after provisioning,
`restore()` puts the app clients, API keys and secrets back with their ids, secrets and ARNs. It writes moto's
backend objects directly: the moto server runs in the stack's own process (`ThreadedMotoServer`), and its
APIs cannot set ids or secrets.
"""

from __future__ import annotations

from typing import Any

from leadgate_admin.local_state import DATE_KEYS

ACCOUNT_ID = "123456789012"  # moto's default account, which the local stack's dummy credentials map to
# describe_user_pool_client keys that are not the client's settings
_CLIENT_IDENTITY_KEYS = ("ClientId", "ClientSecret", "UserPoolId", *DATE_KEYS)


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
