"""The intake endpoints' request bodies, and what each becomes: lead values plus an inquiry record.

- HOTLEAD (`POST /public/api/leads`): `created_at`, `media_domain`, `unit_id`, `profile` (`name`, `name_kana`,
  `email`, `phone`, `address`) and `inquiry`, an open object for what the portal adds (the property or page
  asked about, the message). Unknown keys elsewhere are refused: the portal's data is kept whole in the
  inquiry, so a refused key is a client bug, never a loss.
- LeadHub inbound (`POST /api/inbound/leads`), upsert and batch items: a lead body (the lead API's writable
  fields, `first_name` optional) plus an optional `created_at` (when the inquiry happened). Inbound needs an
  `email`; upsert and batch items an `email` or a `phone`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Union

from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError
from typing_extensions import TypeAliasType

from leadgate import clock, errors, normalize
from leadgate.instants import IsoInstant
from leadgate.leads.consents import ConsentRecord, Consents, Origin
from leadgate.leads.fields import (
    EMAIL_SCHEMA,
    MAX_NAME_LENGTH,
    PHONE_SCHEMA,
    Address,
    Channel,
    Email,
    Phone,
    Text200,
    integral,
    one_of_required,
)
from leadgate.leads.records import PAYLOAD_LIMITS, NewInquiry, iso
from leadgate.leads.requests import LeadData
from leadgate.text import JsonLimits, JsonObject, Text, clean, json_key_type, json_string_type, text_schema
from leadgate.validation import parse

MAX_BATCH_ITEMS = 100
MAX_INQUIRY_FIELDS = 100
MAX_UNIT_ID_LENGTH = 100
# HOTLEAD's open `inquiry` object (the whole body, kept as the inquiry's payload, is checked by NewInquiry).
INQUIRY_LIMITS = JsonLimits(max_depth=PAYLOAD_LIMITS.max_depth - 1, max_members=MAX_INQUIRY_FIELDS)
# HOTLEAD's `inquiry` as its description states it: the text rule at every depth, members per container and
# depth bounded. One named schema per level (the levels below the inquiry object: 2 to max_depth), so the
# description is as deep as the rule and no deeper.
_InquiryKey = json_key_type(INQUIRY_LIMITS)
_InquiryScalar = json_string_type(INQUIRY_LIMITS) | int | float | bool | None


def _inquiry_level(depth: int) -> Any:
    """What a value `depth` containers down may be: below the deepest level, only a scalar."""
    if depth > INQUIRY_LIMITS.max_depth:
        return _InquiryScalar
    below = _inquiry_level(depth + 1)
    return TypeAliasType(
        f"InquiryLevel{depth}",
        Union[  # noqa: UP007 - a runtime union of types built here
            _InquiryScalar,
            Annotated[list[below], Field(max_length=MAX_INQUIRY_FIELDS)],
            Annotated[dict[_InquiryKey, below], Field(max_length=MAX_INQUIRY_FIELDS)],
        ],
    )


InquiryObject = Annotated[dict[_InquiryKey, _inquiry_level(2)], Field(max_length=MAX_INQUIRY_FIELDS)]
# Where a lead field derived from HOTLEAD's body came from, for error messages.
_PROFILE = {
    "display_name": "profile.name",
    "last_name": "profile.name",
    "first_name": "profile.name",
    "last_name_kana": "profile.name_kana",
    "first_name_kana": "profile.name_kana",
    "source": "media_domain",
}

MediaDomain = Text(253)


def _unit_id(value: Any) -> int | str:
    """HOTLEAD sends its unit (窓口) id as a number; a string spelling is accepted too."""
    value = integral(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        return clean(value, max_length=MAX_UNIT_ID_LENGTH)
    raise PydanticCustomError("unit_id", "The unit_id must be an integer or a non-empty string.")


UnitId = Annotated[
    int | str,
    PlainValidator(_unit_id),
    WithJsonSchema({"anyOf": [{"type": "integer"}, {"type": "string", **text_schema(MAX_UNIT_ID_LENGTH)}]}),
]


def _split_name(name: str | None) -> tuple[str | None, str | None]:
    """(family, given) as the lead's name fields; a name with a part too long for them is left whole (it is
    still the display name)."""
    family, given = normalize.split_name(name)
    if max(len(family or ""), len(given or "")) > MAX_NAME_LENGTH:
        return None, None
    return family, given


@dataclass(frozen=True)
class ExternalRef:
    """The record an intake comes from in another system: matched before the email and phone.

    `updated_at` (ISO 8601 UTC) is when the provider made the change; a change older than the last one the
    lead took from that provider is stale and overwrites nothing."""

    provider: str
    id: str
    updated_at: str | None = None

    @property
    def identity(self) -> tuple[str, str]:
        return (self.provider, self.id)


@dataclass(frozen=True)
class Intake:
    """One intake: the lead values the client sent (only those), and the inquiry to record.

    `defaults` are values only a new lead takes (a provider as the lead's `source`), never merged into a
    match; `external` links the lead to the sender's record; `consents` are recorded on the lead in its write
    (a form's submission hands its own here: leadgate.leads.consents)."""

    values: Mapping[str, Any]
    inquiry: NewInquiry
    external: ExternalRef | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    consents: tuple[ConsentRecord, ...] = ()

    @property
    def email_key(self) -> str | None:
        return normalize.canonical_email(self.values.get("email"))

    @property
    def phone_key(self) -> str | None:
        return normalize.canonical_phone(self.values.get("phone"))


class IntakeLead(LeadData):
    """A lead as intake receives it, plus `created_at`: when the inquiry happened, and the consents given."""

    model_config = ConfigDict(json_schema_extra=one_of_required(email=EMAIL_SCHEMA, phone=PHONE_SCHEMA))

    created_at: IsoInstant | None = None
    consents: Consents | None = None

    def values(self) -> dict[str, Any]:
        """The lead fields sent with a value (null and blank mean "nothing to say")."""
        sent = self.model_dump(include=self.model_fields_set - {"created_at", "consents"})
        return {name: value for name, value in sent.items() if value not in (None, [], {})}

    def require_identity(self) -> None:
        if self.email is None and self.phone is None:
            message = "Give an email or a phone number: intake matches leads on them."
            raise errors.ValidationFailed(errors={"email": [message], "phone": [message]})

    def intake(self, channel: Channel, payload: Any, client_id: str, *, origin: Origin | None = None) -> Intake:
        """`origin`: where the consents come from (by default the client, without a route or address)."""
        self.require_identity()
        origin = origin or Origin("client", client_id=client_id)
        return Intake(
            consents=origin.records(self.consents, iso(clock.now())),
            values=self.values(),
            inquiry=NewInquiry(
                channel=channel,
                payload=payload,
                occurred_at=iso(self.created_at) if self.created_at else None,
                source=self.source,
                client_id=client_id,
            ),
        )


class InboundLead(IntakeLead):
    """LeadHub's inbound body: `email` is required."""

    model_config = ConfigDict(json_schema_extra=one_of_required(email=EMAIL_SCHEMA))

    def require_identity(self) -> None:
        if self.email is None:
            raise errors.ValidationFailed(errors={"email": ["The email field is required."]})


class HotleadProfile(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra=one_of_required(email=EMAIL_SCHEMA, phone=PHONE_SCHEMA),
        defer_build=True,  # built on first use, as LeadData
    )

    name: Text(200)
    name_kana: Text200 = None
    email: Email = None
    phone: Phone = None
    address: Address = None


class HotleadLead(BaseModel):
    """HOTLEAD's registration (反響登録)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    created_at: IsoInstant
    media_domain: MediaDomain
    unit_id: UnitId
    profile: HotleadProfile
    inquiry: JsonObject(INQUIRY_LIMITS, described_as=InquiryObject) | None = None

    def is_unit_of(self, tenant_id: str) -> bool:
        """A unit (窓口) is a tenant: `unit_id` must spell the caller's tenant slug."""
        return str(self.unit_id).strip() == tenant_id

    def intake(self, payload: Any, client_id: str) -> Intake:
        profile = self.profile
        if profile.email is None and profile.phone is None:
            message = "Give an email or a phone number: intake matches leads on them."
            raise errors.ValidationFailed(errors={"profile.email": [message], "profile.phone": [message]})
        family, given = _split_name(profile.name)
        family_kana, given_kana = _split_name(profile.name_kana)
        values = {
            "display_name": profile.name,
            "last_name": family,
            "first_name": given,
            "last_name_kana": family_kana,
            "first_name_kana": given_kana,
            "email": profile.email,
            "phone": profile.phone,
            "address": profile.address,
            "source": self.media_domain,
        }
        lead = parse(IntakeLead, {name: value for name, value in values.items() if value is not None}, rename=_PROFILE)
        return Intake(
            values=lead.values(),
            inquiry=NewInquiry(
                channel="hotlead",
                payload=payload,
                occurred_at=iso(self.created_at),
                source=self.media_domain,
                media_domain=self.media_domain,
                client_id=client_id,
            ),
        )


class BatchBody(BaseModel):
    """`{"leads": [...]}`: each item is validated on its own, so one bad item fails alone."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    leads: Annotated[list[Any], Field(min_length=1, max_length=MAX_BATCH_ITEMS)]
