"""The leads API's request bodies: `LeadData` (every writable field, what is stored and what PUT replaces a
lead with), `LeadCreate`, `LeadReplace`, `LeadPatch` and `TagBody`. Field types: leadgate.leads.fields.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leadgate import normalize
from leadgate.leads.consents import Consents
from leadgate.leads.fields import (
    Address,
    CustomFields,
    Email,
    Identifier,
    Kana,
    Name,
    Notes,
    OptionalName,
    Phone,
    Score,
    Tag,
    Tags,
    Text50,
    Text100,
    Text200,
)

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


class LeadData(BaseModel):
    """Every writable field of a lead, with its default: what is stored, and what PUT replaces a lead with.

    `first_name` is optional here because intake may know only an email or a family name; the REST API
    requires it on POST and PUT (LeadCreate, LeadReplace) and PATCH cannot clear it."""

    # defer_build: a validator is built when first used, so a function pays only for the models its routes use
    # (building these at import cost tens of milliseconds of every cold start). Subclasses inherit it.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False, defer_build=True)

    first_name: OptionalName = None
    last_name: OptionalName = None
    first_name_kana: Kana = None
    last_name_kana: Kana = None
    display_name: Text200 = None
    email: Email = None
    phone: Phone = None
    company: Text200 = None
    address: Address = None
    source: Text100 = None
    status: Text50 = None
    pipeline_id: Identifier = None
    pipeline_stage_id: Identifier = None
    assigned_user_id: Identifier = None
    notes: Notes = None
    custom_fields: CustomFields = Field(default_factory=dict)
    tags: Tags = Field(default_factory=list)
    starred: StrictBool = False
    lead_score: Score = 0

    @property
    def email_normalized(self) -> str | None:
        return normalize.canonical_email(self.email)

    @property
    def phone_e164(self) -> str | None:
        return normalize.canonical_phone(self.phone)

    @model_validator(mode="before")
    @classmethod
    def _default_display_name_is_no_display_name(cls, raw: Any) -> Any:
        """A display name equal to the default (e.g. a GET record sent back) stays the default, so it keeps
        following the names."""
        if isinstance(raw, dict) and isinstance(raw.get("display_name"), str):
            first, last = (
                raw.get(name) if isinstance(raw.get(name), str) else "" for name in ("first_name", "last_name")
            )
            if raw["display_name"].strip() == default_display_name(first.strip(), last.strip()):
                return {**raw, "display_name": None}
        return raw

    @property
    def shown_name(self) -> str | None:
        """The display name as sent, else the full name in the order its script uses."""
        return self.display_name or default_display_name(self.first_name, self.last_name)

    def lead_data(self) -> LeadData:
        """The writable fields as LeadData, without validating them again (a LeadCreate or LeadReplace already
        holds valid values)."""
        return LeadData.model_construct(**{name: getattr(self, name) for name in LeadData.model_fields})

    def search_tokens(self) -> frozenset[str]:
        return frozenset(
            normalize.search_tokens(
                first_name=self.first_name,
                last_name=self.last_name,
                first_name_kana=self.first_name_kana,
                last_name_kana=self.last_name_kana,
                display_name=self.shown_name,
                email=self.email,
                phone=self.phone,
            )
        )


def default_display_name(first_name: str | None, last_name: str | None) -> str | None:
    """Family name first for Japanese names ("山田 太郎"), given name first otherwise ("Taro Yamada")."""
    if not first_name or not last_name:
        return first_name or last_name or None
    if _CJK.search(first_name + last_name):
        return f"{last_name} {first_name}"
    return f"{first_name} {last_name}"


WRITABLE_FIELDS = tuple(LeadData.model_fields)


READ_ONLY_FIELDS = frozenset(
    {
        "created_at",
        "updated_at",
        "email_normalized",
        "phone_e164",
        "inquiry_count",
        "external_ids",
        "stage_entered_at",
    }
)


def _read_only_in_schema(schema: dict[str, Any]) -> None:
    """The description marks them `readOnly`: a client need not send them (and schemathesis does not)."""
    properties = schema.setdefault("properties", {})
    properties["id"] = {"readOnly": True, "type": "string", "description": "If sent, the id in the URL."}
    for name in sorted(READ_ONLY_FIELDS):
        properties[name] = {"readOnly": True, "description": "Read-only: accepted and ignored."}
    if "anyOf" in properties.get("consents", {}):
        # A GET record's `consents` (the current status per purpose) may be sent back: accepted and ignored.
        echoed = {"type": "object", "description": "The record's current consents, sent back: ignored."}
        properties["consents"]["anyOf"].insert(-1, echoed)


class _EchoesReadOnlyFields(BaseModel):
    """Read-only fields of a lead record are accepted and ignored, so a GET body can be sent back; an `id`
    must be the one in the URL."""

    model_config = ConfigDict(json_schema_extra=_read_only_in_schema, defer_build=True)

    id: Any = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _ignore_read_only_fields(cls, raw: Any) -> Any:
        """The record's `consents` (the current status per purpose, an object) is read-only too; a list is
        consents given."""
        if isinstance(raw, dict):
            return {
                name: value
                for name, value in raw.items()
                if name not in READ_ONLY_FIELDS and not (name == "consents" and isinstance(value, dict))
            }
        return raw


class _TakesConsents(BaseModel):
    """A lead write may record consents given or withdrawn (leadgate.leads.consents); they are not lead data."""

    model_config = ConfigDict(defer_build=True)

    consents: Consents | None = None


class LeadCreate(LeadData, _TakesConsents):
    """POST /api/v1/leads: `first_name` required, as LeadHub has it."""

    first_name: Name


class LeadReplace(LeadData, _EchoesReadOnlyFields, _TakesConsents):
    """PUT /api/v1/leads/{id}: every writable field, `first_name` required; one not sent goes back to its
    default."""

    first_name: Name


class LeadPatch(LeadData, _EchoesReadOnlyFields, _TakesConsents):
    """PATCH /api/v1/leads/{id}: LeadData's fields, each optional with no default; only the fields sent change,
    null clears (back to LeadData's default)."""

    first_name: Name = None  # may be left out, never cleared
    custom_fields: CustomFields | None = None
    tags: Tags | None = None
    starred: StrictBool | None = None
    lead_score: Score | None = None

    @model_validator(mode="before")
    @classmethod
    def _default_display_name_is_no_display_name(cls, raw: Any) -> Any:
        """A patch names part of a lead: whether its display name is the default is decided on the patched lead
        (`applied_to`), not here."""
        return raw

    @field_validator("first_name", mode="before")
    @classmethod
    def _first_name_stays(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PydanticCustomError("required", "The first_name field cannot be cleared.")
        return value

    def changes(self) -> dict[str, Any]:
        """The writable fields sent, with null meaning the field's default."""
        return {
            name: getattr(self, name) if getattr(self, name) is not None else _default(name)
            for name in self.model_fields_set
            if name in WRITABLE_FIELDS
        }

    def applied_to(self, current: LeadData) -> LeadData:
        return LeadData.model_validate({**current.model_dump(), **self.changes()})


def _default(name: str) -> Any:
    return LeadData.model_fields[name].get_default(call_default_factory=True)


class TagBody(BaseModel):
    """POST /api/v1/leads/{id}/tags."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    tag: Tag
