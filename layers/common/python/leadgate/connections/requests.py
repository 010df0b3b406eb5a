"""What a client sends to create or change a connection (the API's `integrations`; the CLI builds the same).

`settings` and `secrets` are objects here: the provider's models (`leadgate.connections.models`,
`leadgate.connections.credentials`) check them in `leadgate.connections.manage`, once, so that their errors
are named as the client sent them (`secrets.access_token`; a pydantic union would name its member instead)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from leadgate.connections.models import SYNC_EVERY_PATTERN, Provider

BaseUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")]
SyncEvery = Annotated[str, StringConstraints(pattern=SYNC_EVERY_PATTERN)]


class IntegrationWrite(BaseModel):
    """POST and PUT: the whole integration. `settings` and `secrets` are checked against the provider's models
    (their JSON Schema: `GET /api/v1/integrations/types`) by `leadgate.connections.manage`, errors named
    `settings.<field>` and `secrets.<field>`."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    provider: Provider
    settings: dict[str, Any] = Field(
        default_factory=dict, description="The provider's settings: its `settings_schema` in the types catalog."
    )
    secrets: dict[str, Any] | None = Field(
        None,
        description="Write-only: the provider's `secrets_schema`. Required on creation (but for `standard`); "
        "absent on PUT keeps them. Never answered: `has_<field>` says which are set.",
    )
    base_url: BaseUrl | None = Field(None, description="The provider API's base URL; the provider's own if absent.")
    sync_every: SyncEvery | None = Field(
        None, description="How often the sync runs (`15m`, `1h`, `1d`); absent or null: no schedule."
    )


class IntegrationPatch(BaseModel):
    """A merge patch: `settings` and `secrets` merge key by key (null removes a key), `base_url: null` goes back
    to the provider's own, `sync_every: null` removes the schedule. The result is checked as a whole."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    settings: dict[str, Any] | None = None
    secrets: dict[str, Any] | None = None
    base_url: BaseUrl | None = None
    sync_every: SyncEvery | None = None
