"""`leadgate clients ...`: the admin side of the client registry (`leadgate.auth.clients`).

Creates clients (a Cognito app client with a secret, the registry item and, when the stack has usage plans,
an API key in the tier's plan), lists, disables, rotates API keys, moves clients between tiers and sets their
rate policies. The secret is returned once by `create` and stored nowhere. Never deployed: the Lambda layer
only reads the registry.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from leadgate import aws
from leadgate.auth.clients import DEFAULT_TIER, RegisteredClient, read_client
from leadgate.ratelimit.policies import Policy, policies_json
from leadgate.settings import get_settings
from leadgate_admin.usage_plans import ApiKeys

TENANT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")
TIER_PATTERN = re.compile(r"^[a-z][a-z0-9-]{1,39}$")
# Cognito's ClientNameType.
NAME_PATTERN = re.compile(r"^[\w\s+=,.@-]{1,128}$")
TENANT_INDEX = "by_tenant"
ACCESS_TOKEN_MINUTES = 60  # HOTLEAD's tokens live one hour: `expires_in: 3600`


class ClientSpecError(ValueError):
    """A client cannot be created as asked (bad tenant slug, unknown scope, bad name or tier)."""


class UnknownClient(LookupError):
    """No registered client has this id."""


def client_view(client: RegisteredClient) -> dict[str, Any]:
    """The admin view of a client. API key values are credentials too, so they are left out."""
    return {
        "client_id": client.client_id,
        "tenant": client.tenant,
        "scopes": list(client.scopes),
        "name": client.name,
        "enabled": client.enabled,
        "tier": client.tier,
        "created_at": client.created_at,
        **({"disabled_at": client.disabled_at} if client.disabled_at else {}),
        **({"api_key_id": client.api_key_id} if client.api_key_id else {}),
        **({"rate_policies": json.loads(client.rate_policies)} if client.rate_policies else {}),
    }


# What UpdateUserPoolClient would reset if omitted: the settings besides OAuth's, and OAuth's own.
_NON_OAUTH_SETTINGS = (
    "ClientName",
    "RefreshTokenValidity",
    "AccessTokenValidity",
    "IdTokenValidity",
    "TokenValidityUnits",
    "ReadAttributes",
    "WriteAttributes",
    "ExplicitAuthFlows",
    "PreventUserExistenceErrors",
    "EnableTokenRevocation",
    "AuthSessionValidity",
)
_CLIENT_SETTINGS = (*_NON_OAUTH_SETTINGS, "AllowedOAuthFlows", "AllowedOAuthFlowsUserPoolClient")


class ClientRegistry:
    """The registry on explicit AWS clients, so the admin CLI can point it at any stack."""

    def __init__(
        self,
        *,
        dynamodb: Any,
        cognito: Any,
        table: str,
        user_pool_id: str,
        scope_prefix: str,
        api_keys: ApiKeys | None = None,
    ) -> None:
        self.dynamodb = dynamodb
        self.cognito = cognito
        self.table = table
        self.user_pool_id = user_pool_id
        self.scope_prefix = scope_prefix
        # The stack's usage plans: with them every client gets an API key in its tier's plan.
        self.api_keys = api_keys

    @classmethod
    def from_settings(cls, api_keys: ApiKeys | None = None) -> ClientRegistry:
        settings = get_settings()
        return cls(
            dynamodb=aws.dynamodb(),
            cognito=aws.cognito(),
            table=settings.clients_table,
            user_pool_id=settings.user_pool_id,
            scope_prefix=settings.scope_prefix,
            api_keys=api_keys,
        )

    def get(self, client_id: str) -> RegisteredClient | None:
        return read_client(self.dynamodb, self.table, client_id)

    def create(
        self,
        tenant: str,
        scopes: Sequence[str] | None = None,
        name: str | None = None,
        tier: str = DEFAULT_TIER,
    ) -> dict[str, Any]:
        """Creates the Cognito app client and its registry item; the only place the secret is ever seen."""
        name = name or tenant
        _check_spec(tenant, name, tier)
        granted = self._checked_scopes(scopes)
        if self.api_keys is not None:
            self.api_keys.plan_id(tier)  # an unknown tier is refused before anything is created
        app_client = self.cognito.create_user_pool_client(
            UserPoolId=self.user_pool_id,
            ClientName=name,
            GenerateSecret=True,
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=[f"{self.scope_prefix}/{scope}" for scope in granted],
            AccessTokenValidity=ACCESS_TOKEN_MINUTES,
            TokenValidityUnits={"AccessToken": "minutes"},
            PreventUserExistenceErrors="ENABLED",
        )["UserPoolClient"]
        client_id = app_client["ClientId"]
        api_key = None
        try:
            api_key = self.api_keys.create(client_id, tier) if self.api_keys is not None else None
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "client_id": {"S": client_id},
                    "tenant": {"S": tenant},
                    "scopes": {"L": [{"S": scope} for scope in granted]},
                    "name": {"S": name},
                    "enabled": {"BOOL": True},
                    "tier": {"S": tier},
                    "created_at": {"S": _now()},
                    **({"api_key_id": {"S": api_key.id}, "api_key_value": {"S": api_key.value}} if api_key else {}),
                },
                ConditionExpression="attribute_not_exists(client_id)",
            )
        except Exception:
            # No registry item means no usable client: don't leave a Cognito client or an API key behind.
            if api_key is not None and self.api_keys is not None:
                self.api_keys.delete(api_key.id)
            self.cognito.delete_user_pool_client(UserPoolId=self.user_pool_id, ClientId=client_id)
            raise
        return {
            "client_id": client_id,
            "client_secret": app_client["ClientSecret"],
            "tenant": tenant,
            "scopes": list(granted),
        }

    def list(self, tenant: str | None = None) -> list[RegisteredClient]:
        """A tenant's clients (Query on the tenant index), or every client.

        Listing every client Scans the registry. That is an admin path of the CLI only, on a table of one
        small item per client; request paths never call this without a tenant.
        """
        if tenant is None:
            pages = self.dynamodb.get_paginator("scan").paginate(TableName=self.table)
        else:
            _check_tenant(tenant)
            pages = self.dynamodb.get_paginator("query").paginate(
                TableName=self.table,
                IndexName=TENANT_INDEX,
                KeyConditionExpression="tenant = :tenant",
                ExpressionAttributeValues={":tenant": {"S": tenant}},
            )
        clients = [RegisteredClient.from_item(item) for page in pages for item in page.get("Items", [])]
        return sorted(clients, key=lambda client: (client.tenant, client.created_at, client.client_id))

    def disable(self, client_id: str) -> RegisteredClient:
        """Disables a client: at once for new tokens, within the authorizer cache TTL for issued ones.

        The registry flag is the authority (the token endpoint and the authorizer read it). Cognito's OAuth
        features are switched off as well, so the pool's own token endpoint, which is public, stops issuing
        tokens to the client too.
        """
        try:
            item = self.dynamodb.update_item(
                TableName=self.table,
                Key={"client_id": {"S": client_id}},
                UpdateExpression="SET enabled = :false, disabled_at = if_not_exists(disabled_at, :now)",
                ConditionExpression="attribute_exists(client_id)",
                ExpressionAttributeValues={":false": {"BOOL": False}, ":now": {"S": _now()}},
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self.dynamodb.exceptions.ConditionalCheckFailedException as exc:
            raise UnknownClient(client_id) from exc
        self._switch_off_oauth(client_id)
        disabled = RegisteredClient.from_item(item)
        if self.api_keys is not None:  # API Gateway refuses the client's keys as well
            for key_id in filter(None, (disabled.api_key_id, disabled.retired_api_key_id)):
                self.api_keys.set_enabled(key_id, False)
        return disabled

    # ---------------------------------------------------------------- fair use

    def rotate_key(self, client_id: str) -> RegisteredClient:
        """A new API key in the client's tier.

        The old key is retired, not deleted: API Gateway refuses a deleted key, and cached authorizer
        policies keep naming the old one for up to the cache TTL. The next rotation deletes it.
        """
        current = self._existing(client_id)
        api_keys = self._required_api_keys()
        if current.retired_api_key_id:
            api_keys.delete(current.retired_api_key_id)
        new_key = api_keys.create(client_id, current.tier, enabled=current.enabled)
        values = {":id": {"S": new_key.id}, ":value": {"S": new_key.value}}
        if current.api_key_id:
            expression = "SET api_key_id = :id, api_key_value = :value, retired_api_key_id = :old"
            condition = "api_key_id = :old"
            values[":old"] = {"S": current.api_key_id}
        else:
            expression = "SET api_key_id = :id, api_key_value = :value REMOVE retired_api_key_id"
            condition = "attribute_not_exists(api_key_id)"
        try:
            return self._update(client_id, expression, values, extra_condition=condition)
        except Exception:
            api_keys.delete(new_key.id)  # the registry still names the current key, which stays valid
            raise

    def set_tier(self, client_id: str, tier: str) -> RegisteredClient:
        """Moves the client (and its API key, if it has one) to another tier's usage plan."""
        current = self._existing(client_id)
        api_keys = self._required_api_keys()
        api_keys.plan_id(tier)
        if not current.api_key_id:
            raise ClientSpecError(f"Client {client_id} has no API key: give it one with `rotate-key` first.")
        api_keys.move(current.api_key_id, current.tier, tier)
        return self._update(client_id, "SET tier = :tier", {":tier": {"S": tier}})

    def set_limits(self, client_id: str, policies: Sequence[Policy]) -> RegisteredClient:
        """The client's rate policies (`leadgate.ratelimit`); none means the default, 1000 per hour."""
        if not policies:
            return self._update(client_id, "REMOVE rate_policies", {})
        return self._update(client_id, "SET rate_policies = :policies", {":policies": {"S": policies_json(policies)}})

    def set_scopes(self, client_id: str, scopes: Sequence[str]) -> RegisteredClient:
        """The client's scopes (the resource server's, e.g. the workspace's `read:pipelines`): in Cognito, so new
        tokens carry them, and in the registry, which the authorizer reads (issued tokens keep theirs until
        they expire)."""
        granted = self._checked_scopes(scopes)
        self._existing(client_id)
        current = self.cognito.describe_user_pool_client(UserPoolId=self.user_pool_id, ClientId=client_id)
        # UpdateUserPoolClient resets every omitted setting, so the others are carried over.
        kept = {key: value for key, value in current["UserPoolClient"].items() if key in _CLIENT_SETTINGS}
        self.cognito.update_user_pool_client(
            UserPoolId=self.user_pool_id,
            ClientId=client_id,
            **kept,
            AllowedOAuthScopes=[f"{self.scope_prefix}/{scope}" for scope in granted],
        )
        return self._update(client_id, "SET scopes = :scopes", {":scopes": {"L": [{"S": scope} for scope in granted]}})

    def _existing(self, client_id: str) -> RegisteredClient:
        client = read_client(self.dynamodb, self.table, client_id, consistent=True)
        if client is None:
            raise UnknownClient(client_id)
        return client

    def _required_api_keys(self) -> ApiKeys:
        if self.api_keys is None:
            raise ClientSpecError("This registry has no usage plans to manage API keys with.")
        return self.api_keys

    def _update(
        self, client_id: str, expression: str, values: dict[str, Any], *, extra_condition: str | None = None
    ) -> RegisteredClient:
        condition = "attribute_exists(client_id)" + (f" AND {extra_condition}" if extra_condition else "")
        try:
            item = self.dynamodb.update_item(
                TableName=self.table,
                Key={"client_id": {"S": client_id}},
                UpdateExpression=expression,
                ConditionExpression=condition,
                **({"ExpressionAttributeValues": values} if values else {}),
                ReturnValues="ALL_NEW",
            )["Attributes"]
        except self.dynamodb.exceptions.ConditionalCheckFailedException as exc:
            raise UnknownClient(client_id) from exc
        return RegisteredClient.from_item(item)

    def _switch_off_oauth(self, client_id: str) -> None:
        try:
            current = self.cognito.describe_user_pool_client(UserPoolId=self.user_pool_id, ClientId=client_id)
        except self.cognito.exceptions.ResourceNotFoundException:
            return  # gone from the pool: it cannot get tokens anyway
        # UpdateUserPoolClient resets every omitted setting, so the non-OAuth ones are carried over.
        kept = {key: value for key, value in current["UserPoolClient"].items() if key in _NON_OAUTH_SETTINGS}
        self.cognito.update_user_pool_client(
            UserPoolId=self.user_pool_id, ClientId=client_id, AllowedOAuthFlowsUserPoolClient=False, **kept
        )

    def _checked_scopes(self, scopes: Iterable[str] | None) -> tuple[str, ...]:
        server = self.cognito.describe_resource_server(UserPoolId=self.user_pool_id, Identifier=self.scope_prefix)
        known = [scope["ScopeName"] for scope in server["ResourceServer"].get("Scopes", [])]
        if scopes is None:
            return tuple(known)
        wanted = tuple(dict.fromkeys(scopes))
        unknown = [scope for scope in wanted if scope not in known]
        if unknown:
            raise ClientSpecError(f"Unknown scope(s) {', '.join(unknown)}; the scopes are {', '.join(known)}.")
        if not wanted:
            raise ClientSpecError("A client needs at least one scope.")
        return wanted


def _check_tenant(tenant: str) -> None:
    if not TENANT_PATTERN.match(tenant):
        raise ClientSpecError(
            f"Invalid tenant slug {tenant!r}: 2 to 40 characters of a-z, 0-9 and '-', "
            "starting and ending with a letter or digit."
        )


def _check_spec(tenant: str, name: str, tier: str) -> None:
    _check_tenant(tenant)
    if not NAME_PATTERN.match(name):
        raise ClientSpecError(f"Invalid client name {name!r}: up to 128 letters, digits, spaces and +=,.@-.")
    if not TIER_PATTERN.match(tier):
        raise ClientSpecError(f"Invalid tier {tier!r}: a lower-case name such as {DEFAULT_TIER!r}.")


def _now() -> str:
    return datetime.now(UTC).isoformat()


def create_client(
    tenant: str,
    scopes: Sequence[str] | None = None,
    name: str | None = None,
    tier: str = DEFAULT_TIER,
    api_keys: ApiKeys | None = None,
) -> dict[str, Any]:
    return ClientRegistry.from_settings(api_keys=api_keys).create(tenant, scopes, name, tier)


def list_clients(tenant: str | None = None) -> list[RegisteredClient]:
    return ClientRegistry.from_settings().list(tenant)


def disable_client(client_id: str) -> RegisteredClient:
    return ClientRegistry.from_settings().disable(client_id)
