"""What each provider's secrets are as a client gives them (the API's `secrets`, the CLI's secret options): one
model per provider, so the types catalog publishes their JSON Schema and a write is checked once, here.

The values are `SecretStr` (they print as `**********`); they go to the connection's Secrets Manager secret
(`leadgate.connections.secrets`) and nowhere else. Tokens a connection earns later (a refreshed OAuth access
token, a Standard Webhooks signing secret we generate) are not given by clients, so they are not here.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, model_validator

Token = Annotated[SecretStr, Field(min_length=1, max_length=4096)]
ClientId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Credentials(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def values(self) -> dict[str, str]:
        """The given fields as plain strings, for the secret."""
        return {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in self.model_dump(exclude_none=True).items()
        }


class HubSpotCredentials(_Credentials):
    """A HubSpot app's client id and secret (the secret also signs its webhooks) and one way to call the API:
    an OAuth refresh token, or a private app's access token."""

    client_id: ClientId
    client_secret: Token
    refresh_token: Token | None = None
    access_token: Token | None = None

    @model_validator(mode="after")
    def _one_way_to_call(self) -> HubSpotCredentials:
        if (self.refresh_token is None) == (self.access_token is None):
            raise ValueError("give exactly one of refresh_token (OAuth) or access_token (a private app)")
        return self


class IntercomCredentials(_Credentials):
    """The app's client secret (signs its webhooks) and an access token (calls the API)."""

    client_secret: Token
    access_token: Token


class ChatDealerCredentials(_Credentials):
    """The environment's API token (`X-CD-apitoken`)."""

    api_token: Token


class StandardCredentials(_Credentials):
    """Nothing to give: the signing secret is generated on creation and answered once."""


CREDENTIALS_MODELS: dict[str, type[_Credentials]] = {
    "hubspot": HubSpotCredentials,
    "intercom": IntercomCredentials,
    "chatdealer": ChatDealerCredentials,
    "standard": StandardCredentials,
}
# A Standard Webhooks connection's generated secret: held by the secret, reported as `has_signing_secret`.
GENERATED_FIELDS: dict[str, tuple[str, ...]] = {"standard": ("signing_secret",)}


def secret_field_names(provider: str) -> tuple[str, ...]:
    """The secret fields a connection of `provider` reports as `has_<field>`."""
    return (*CREDENTIALS_MODELS[provider].model_fields, *GENERATED_FIELDS.get(provider, ()))


def credentials_schema(provider: str) -> dict[str, Any]:
    return CREDENTIALS_MODELS[provider].model_json_schema()
