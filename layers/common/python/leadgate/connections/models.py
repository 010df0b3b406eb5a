"""What a connection is: a tenant, a provider, the provider's settings, the API base URL and a secret's ARN.

`Connection.public()` is the only view that leaves the system (API answers, CLI output): it has no ARN, and
the secrets themselves never enter this model (they live in Secrets Manager, `leadgate.connections.secrets`).
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_serializer,
    model_validator,
)

from leadgate import clock
from leadgate.connections.credentials import secret_field_names
from leadgate.leads.ids import is_ulid, new_ulid

CONNECTION_ID_PREFIX = "con_"
CONNECTION_ID_PATTERN = re.compile(r"^con_[0-7][0-9A-HJKMNP-TV-Z]{25}$")
# A sync interval: a whole number of minutes, hours or days (`--sync-every 15m`).
SYNC_EVERY_PATTERN = r"^[1-9][0-9]{0,3}[mhd]$"
# A host name, optionally with a port: Chat Dealer environments are `https://{domain}`.
DOMAIN_PATTERN = (
    r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(:[0-9]{1,5})?$"
)
Digits = Annotated[str, StringConstraints(pattern=r"^[0-9]{1,20}$")]
AppId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=r"^[\w.-]+$")]


class Provider(StrEnum):
    HUBSPOT = "hubspot"
    INTERCOM = "intercom"
    CHATDEALER = "chatdealer"
    STANDARD = "standard"  # any sender of Standard Webhooks (standardwebhooks.com)


class _Settings(BaseModel):
    # defer_build: built on first use, so a function pays only for the models it uses (as LeadData).
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    def default_base_url(self) -> str | None:
        return None


class HubSpotSettings(_Settings):
    portal_id: Digits
    app_id: Digits
    # v1/v2 signatures have no timestamp and can be replayed: refused unless the connection opts in.
    allow_unversioned_signatures: bool = False

    def default_base_url(self) -> str:
        return "https://api.hubapi.com"


class IntercomSettings(_Settings):
    app_id: AppId

    def default_base_url(self) -> str:
        return "https://api.intercom.io"


ItemKey = Annotated[str, StringConstraints(min_length=1, max_length=100)]
CUSTOM_FIELD_PREFIX = "custom_fields."
CUSTOM_FIELD_PATTERN = re.compile(r"^custom_fields\.[A-Za-z0-9_-]{1,64}$")


class ChatDealerFieldMap(BaseModel):
    """Which item key of a Chat Dealer environment fills which lead field: our name -> the environment's key.

    Chat Dealer's item keys are configured per environment, so each connection names its own; a name it does
    not map keeps its default (`DEFAULT_ITEM_KEYS`). The one list of what can be mapped: the CLI, the API and
    the connector all validate a map with this model, so a map that is accepted is also applied.
    """

    model_config = ConfigDict(
        extra="allow",
        frozen=True,
        json_schema_extra={
            "patternProperties": {CUSTOM_FIELD_PATTERN.pattern: {"type": "string", "minLength": 1, "maxLength": 100}},
            "additionalProperties": False,
            "minProperties": 1,
        },
    )
    __pydantic_extra__: dict[str, ItemKey]  # `custom_fields.<key>` only (checked below)

    external_id: ItemKey | None = Field(None, description="The visitor id: the lead's key at Chat Dealer.")
    updated_at: ItemKey | None = Field(
        None, description="The last activity, `yyyy/mm/dd hh:mi[:ss]` in Japan time: when the inquiry happened."
    )
    name: ItemKey | None = Field(
        None, description="A full name, split family-first at the first space; also the default display name."
    )
    name_kana: ItemKey | None = Field(None, description="A full name's reading, split like `name`.")
    last_name: ItemKey | None = Field(None, description="The family name; wins over the one split from `name`.")
    first_name: ItemKey | None = Field(None, description="The given name; wins over the one split from `name`.")
    last_name_kana: ItemKey | None = Field(None, description="Wins over the one split from `name_kana`.")
    first_name_kana: ItemKey | None = Field(None, description="Wins over the one split from `name_kana`.")
    display_name: ItemKey | None = None
    email: ItemKey | None = None
    phone: ItemKey | None = None
    company: ItemKey | None = None
    address: ItemKey | None = None
    notes: ItemKey | None = None
    status: ItemKey | None = None

    @model_validator(mode="after")
    def _known_fields(self) -> ChatDealerFieldMap:
        unknown = sorted(key for key in self.model_extra or {} if not CUSTOM_FIELD_PATTERN.match(key))
        if unknown:
            known = ", ".join(type(self).model_fields)
            raise ValueError(f"unknown lead field(s) {', '.join(unknown)}; use {known} or custom_fields.<key>")
        if not self.mapped():
            raise ValueError("map at least one lead field to an item key")
        return self

    @model_serializer(mode="wrap")
    def _mapped_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, str]:
        """As stored and shown: only what the connection maps, as one flat object."""
        return {name: key for name, key in handler(self).items() if key is not None}

    def mapped(self) -> dict[str, str]:
        """What this connection maps (our name -> item key), `custom_fields.<key>` included."""
        return self.model_dump()

    def item_keys(self) -> dict[str, str]:
        """The item key of every name the connector reads: the connection's map over the defaults."""
        return DEFAULT_ITEM_KEYS | self.mapped()


# The item keys of a Chat Dealer environment as the reference names them, for what a connection does not map.
DEFAULT_ITEM_KEYS = {
    "external_id": "訪問者ID",
    "name": "名前",
    "email": "メールアドレス",
    "phone": "電話番号",
    "updated_at": "最終発言日時",
}


class ChatDealerSettings(_Settings):
    domain: Annotated[
        str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=253, pattern=DOMAIN_PATTERN)
    ]
    field_map: ChatDealerFieldMap

    def default_base_url(self) -> str:
        return f"https://{self.domain}"


class StandardSettings(_Settings):
    pass


SETTINGS_MODELS: dict[Provider, type[_Settings]] = {
    Provider.HUBSPOT: HubSpotSettings,
    Provider.INTERCOM: IntercomSettings,
    Provider.CHATDEALER: ChatDealerSettings,
    Provider.STANDARD: StandardSettings,
}
ProviderSettings = HubSpotSettings | IntercomSettings | ChatDealerSettings | StandardSettings


def new_connection_id(moment: datetime | None = None) -> str:
    return CONNECTION_ID_PREFIX + new_ulid(moment or clock.now())


def is_connection_id(value: str) -> bool:
    return bool(CONNECTION_ID_PATTERN.match(value)) and is_ulid(value.removeprefix(CONNECTION_ID_PREFIX))


class Connection(BaseModel):
    """One tenant's binding to one external system, as the connections table holds it."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    connection_id: Annotated[str, StringConstraints(pattern=CONNECTION_ID_PATTERN.pattern)] = Field(
        default_factory=new_connection_id
    )
    tenant_id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$")]
    provider: Provider
    settings: ProviderSettings
    # The provider API's base URL; None only for `standard`, which has no API to call.
    base_url: Annotated[str, StringConstraints(pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")] | None = None
    secret_arn: str | None = None
    enabled: bool = True
    created_at: datetime = Field(default_factory=clock.now)
    disabled_at: datetime | None = None
    # The scheduled sync: how often it runs, and why it stopped if it did.
    sync_every: Annotated[str, StringConstraints(pattern=SYNC_EVERY_PATTERN)] | None = None
    sync_disabled_reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    # Which secret fields the connection's secret holds (never their values): the answers' `has_<field>`.
    secret_fields: tuple[str, ...] = ()
    # Bumped by every change: the ETag (`"<version>"`) that PUT, PATCH and DELETE's If-Match compare.
    version: int = Field(default=1, ge=1)

    @field_validator("settings", mode="before")
    @classmethod
    def _settings_of_provider(cls, value: Any, info: ValidationInfo) -> Any:
        """Settings are validated by the provider's model (a union alone would accept another provider's)."""
        provider = info.data.get("provider")
        if provider is None:
            return value
        model = SETTINGS_MODELS[Provider(provider)]
        return value if isinstance(value, model) else model.model_validate(value or {})

    @model_validator(mode="after")
    def _base_url_default(self) -> Connection:
        base_url = self.base_url or self.settings.default_base_url()
        object.__setattr__(self, "base_url", base_url.rstrip("/") if base_url else None)
        return self

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def public(self) -> dict[str, Any]:
        """The view for API answers and CLI output: no secret, no secret ARN; `has_<field>` for each secret field
        the provider takes (write-only: whether it is set, never its value)."""
        view = {"id": self.connection_id, **self.model_dump(mode="json", exclude={"secret_arn", "secret_fields"})}
        view = {**view, **{f"has_{name}": name in self.secret_fields for name in secret_field_names(self.provider)}}
        del view["version"]
        return view
