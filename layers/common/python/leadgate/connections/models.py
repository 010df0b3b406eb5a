"""What a connection is: a tenant, a provider, the provider's settings, the API base URL and a secret's ARN.

`Connection.public()` is the only view that leaves the system (API answers, CLI output): it has no ARN, and
the secrets themselves never enter this model (they live in Secrets Manager, `leadgate.connections.secrets`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from leadgate.leads.ids import is_ulid, new_ulid

CONNECTION_ID_PREFIX = "con_"
CONNECTION_ID_PATTERN = re.compile(r"^con_[0-7][0-9A-HJKMNP-TV-Z]{25}$")
# A sync interval: a whole number of minutes, hours or days (issue 10: `--sync-every 15m`).
SYNC_EVERY_PATTERN = r"^[1-9][0-9]{0,3}[mhd]$"
# A host name, optionally with a port: Chat Dealer environments are `https://{domain}`.
DOMAIN_PATTERN = (
    r"^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(:[0-9]{1,5})?$"
)
# Our lead fields a provider's items can be mapped to (`custom_fields.<key>` too).
MAPPABLE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "first_name_kana",
        "last_name_kana",
        "display_name",
        "email",
        "phone",
        "company",
        "address",
        "notes",
        "status",
    }
)
CUSTOM_FIELD_PATTERN = re.compile(r"^custom_fields\.[A-Za-z0-9_-]{1,64}$")

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


class ChatDealerSettings(_Settings):
    domain: Annotated[
        str, StringConstraints(strip_whitespace=True, to_lower=True, max_length=253, pattern=DOMAIN_PATTERN)
    ]
    # our field name -> the environment's item key, e.g. {"email": "メールアドレス"}
    field_map: dict[str, Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(min_length=1)

    @field_validator("field_map")
    @classmethod
    def _known_fields(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(key for key in value if key not in MAPPABLE_FIELDS and not CUSTOM_FIELD_PATTERN.match(key))
        if unknown:
            known = ", ".join(sorted(MAPPABLE_FIELDS))
            raise ValueError(f"unknown lead field(s) {', '.join(unknown)}; use {known} or custom_fields.<key>")
        return value

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
    return CONNECTION_ID_PREFIX + new_ulid(moment or datetime.now(UTC))


def is_connection_id(value: str) -> bool:
    return bool(CONNECTION_ID_PATTERN.match(value)) and is_ulid(value.removeprefix(CONNECTION_ID_PREFIX))


def _now() -> datetime:
    return datetime.now(UTC)


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
    created_at: datetime = Field(default_factory=_now)
    disabled_at: datetime | None = None
    # Reserved for the scheduled sync runs (issue 10).
    sync_every: Annotated[str, StringConstraints(pattern=SYNC_EVERY_PATTERN)] | None = None
    sync_disabled_reason: Annotated[str, StringConstraints(max_length=500)] | None = None

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

    def public(self) -> dict[str, Any]:
        """The view for API answers and CLI output: no secret, no secret ARN."""
        return self.model_dump(mode="json", exclude={"secret_arn"}, exclude_none=False)
