"""The client registry read on the request path: which tenant an API client belongs to, what it may do, and
whether it is enabled.

A client is a Cognito app client (client_credentials grant, with a secret) plus one item in the clients
table, keyed by `client_id`. Cognito checks the secret and issues tokens; the registry is the authority on
tenant, scopes and `enabled`, and is read (one GetItem) by the token endpoint and the authorizer. Creating,
listing and changing clients is admin work: `leadgate_admin.clients` (never in the Lambda layer).

Item attributes: `client_id`, `tenant`, `scopes` (short names, e.g. `read:leads`), `name`, `enabled`,
`tier`, `created_at`, `disabled_at`, `api_key_id`, `api_key_value`, `retired_api_key_id` and
`rate_policies` (JSON text), which the authorizer passes on when present.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadgate import aws
from leadgate.settings import get_settings

DEFAULT_TIER = "standard"


@dataclass(frozen=True)
class RegisteredClient:
    client_id: str
    tenant: str
    scopes: tuple[str, ...]
    name: str
    enabled: bool
    tier: str
    created_at: str
    disabled_at: str | None = None
    api_key_value: str | None = None
    rate_policies: str = ""
    api_key_id: str | None = None
    retired_api_key_id: str | None = None  # the key before the last rotation, valid while policies name it

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> RegisteredClient:
        def text(name: str) -> str | None:
            return item[name]["S"] if name in item else None

        return cls(
            client_id=item["client_id"]["S"],
            tenant=item["tenant"]["S"],
            scopes=tuple(value["S"] for value in item.get("scopes", {}).get("L", [])),
            name=text("name") or "",
            enabled=item.get("enabled", {}).get("BOOL", False),
            tier=text("tier") or DEFAULT_TIER,
            created_at=text("created_at") or "",
            disabled_at=text("disabled_at"),
            api_key_value=text("api_key_value"),
            rate_policies=text("rate_policies") or "",
            api_key_id=text("api_key_id"),
            retired_api_key_id=text("retired_api_key_id"),
        )


def read_client(dynamodb: Any, table: str, client_id: str, *, consistent: bool = False) -> RegisteredClient | None:
    """One GetItem (eventually consistent unless `consistent`): the request paths' only registry read."""
    item = dynamodb.get_item(TableName=table, Key={"client_id": {"S": client_id}}, ConsistentRead=consistent).get(
        "Item"
    )
    return RegisteredClient.from_item(item) if item else None


def get_client(client_id: str) -> RegisteredClient | None:
    """The client as the stack's registry has it (None if unknown)."""
    return read_client(aws.dynamodb(), get_settings().clients_table, client_id)
