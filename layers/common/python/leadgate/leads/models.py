"""The leads API's contracts: the writable lead fields, request bodies, stored records.

Field names and meanings follow LeadHub (snake_case). Japanese person data (issue 3): `last_name` is the
family name and `first_name` the given name; kana is kept as full-width katakana.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StrictBool,
    StrictInt,
    StrictStr,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leadgate import normalize
from leadgate.text import JsonLimits, Text, check_json, clean

MAX_TAGS = 50
MAX_TAG_LENGTH = 64
MAX_CUSTOM_FIELDS = 50
MAX_CUSTOM_KEY_LENGTH = 100
MAX_CUSTOM_VALUE_LENGTH = 1000
MAX_SCORE = 1_000_000_000
MAX_ID = 2**53  # integer ids stay exact in every JSON client

Channel = Literal["hotlead", "leadhub", "api", "batch", "webhook", "sync"]

_TAG_PUNCTUATION = frozenset("-_:.")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")


def _blank_to_none(value: Any) -> Any:
    """Empty strings mean "no value", as Laravel's ConvertEmptyStringsToNull does for LeadHub."""
    return None if isinstance(value, str) and not value.strip() else value


def _text(max_length: int, *, required: bool = False, multiline: bool = False) -> Any:
    """Text people write (leadgate.text's rule, NFC, trimmed); optional fields take blank as no value."""
    text = Text(max_length, multiline=multiline)
    return text if required else Annotated[text | None, BeforeValidator(_blank_to_none)]


def _valid_email(value: str | None) -> str | None:
    if value is not None and not normalize.email_is_valid(value):
        raise PydanticCustomError("email", "The email field must be a valid email address.")
    return value


def _valid_phone(value: str | None) -> str | None:
    if value is not None and not normalize.phone_is_valid(value):
        raise PydanticCustomError("phone", "The phone field must be a valid phone number.")
    return value


def _identifier(value: Any) -> int | str | None:
    """Ids of pipelines, stages and users: an integer or a string, kept as the type sent."""
    value = _blank_to_none(value)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    if isinstance(value, str):
        return clean(value, max_length=64)
    raise PydanticCustomError("identifier", "The value must be an integer ≥ 0 or a string of at most 64 characters.")


def _scalar(value: Any) -> str | bool | int | float | None:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str):  # kept as sent (not trimmed); may hold line breaks
        return clean(value, max_length=MAX_CUSTOM_VALUE_LENGTH, min_length=0, multiline=True, strip=False)
    raise PydanticCustomError(
        "custom_field",
        "A custom field value must be a string of at most {max} characters, a number, a boolean or null.",
        {"max": MAX_CUSTOM_VALUE_LENGTH},
    )


def normalize_tag(raw: str) -> str:
    """A tag as stored and matched (docs/text.md): NFKC, trimmed, lower-case, 1-64 characters; letters
    (any script, with their marks) and digits, and `-` `_` `:` `.` between them."""
    tag = clean(raw, max_length=MAX_TAG_LENGTH, form="NFKC").lower()
    if len(tag) > MAX_TAG_LENGTH:  # lower-casing can lengthen a few letters (İ)
        raise PydanticCustomError("tag_length", "A tag must be 1 to {max} characters.", {"max": MAX_TAG_LENGTH})
    if not (_tag_edge(tag[0], first=True) and _tag_edge(tag[-1]) and all(map(_tag_character, tag))):
        raise PydanticCustomError(
            "tag_characters",
            "A tag is letters and digits, with '-', '_', ':' or '.' only between them (vip, lead:hot, v1.2).",
        )
    return tag


def _tag_edge(character: str, *, first: bool = False) -> bool:
    """A tag starts with a letter or digit and ends with one (or the mark of one)."""
    category = unicodedata.category(character)
    return category[0] == "L" or category == "Nd" or (not first and category[0] == "M")


def _tag_character(character: str) -> bool:
    return _tag_edge(character) or character in _TAG_PUNCTUATION


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Name = _text(100, required=True)
OptionalName = _text(100)
Text50 = _text(50)
Text64 = _text(64)
Text100 = _text(100)
Text200 = _text(200)
Notes = _text(10_000, multiline=True)
Address = _text(500, multiline=True)
Kana = Annotated[Text100, AfterValidator(normalize.to_katakana)]
Email = Annotated[_text(254), AfterValidator(_valid_email)]
Phone = Annotated[Text64, AfterValidator(_valid_phone)]
Identifier = Annotated[int | str | None, PlainValidator(_identifier, json_schema_input_type=int | str | None)]
Tag = Annotated[StrictStr, AfterValidator(normalize_tag)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_unique)]
Scalar = Annotated[
    str | bool | int | float | None, PlainValidator(_scalar, json_schema_input_type=str | bool | int | float | None)
]
# Flat: keys (NFKC: they are matched when intake merges) map to scalars; nesting is refused.
CustomFields = Annotated[
    dict[Text(MAX_CUSTOM_KEY_LENGTH, form="NFKC"), Scalar],
    Field(max_length=MAX_CUSTOM_FIELDS),
]
Score = Annotated[StrictInt, Field(ge=-MAX_SCORE, le=MAX_SCORE)]


class LeadData(BaseModel):
    """Every writable field of a lead, with its default: what is stored, and what PUT replaces a lead with.

    `first_name` is optional here because intake may know only an email or a family name; the REST API
    requires it on POST and PUT (LeadCreate, LeadReplace) and PATCH cannot clear it."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

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
    {"created_at", "updated_at", "email_normalized", "phone_e164", "inquiry_count", "external_ids"}
)


class _EchoesReadOnlyFields(BaseModel):
    """Read-only fields of a lead record are accepted and ignored, so a GET body can be sent back; an `id`
    must be the one in the URL."""

    id: Any = Field(default=None, exclude=True)

    @model_validator(mode="before")
    @classmethod
    def _ignore_read_only_fields(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {name: value for name, value in raw.items() if name not in READ_ONLY_FIELDS}
        return raw


class LeadCreate(LeadData):
    """POST /api/v1/leads: `first_name` required, as LeadHub has it."""

    first_name: Name


class LeadReplace(LeadData, _EchoesReadOnlyFields):
    """PUT /api/v1/leads/{id}: every writable field, `first_name` required; one not sent goes back to its
    default."""

    first_name: Name


class LeadPatch(_EchoesReadOnlyFields):
    """PATCH /api/v1/leads/{id}: only the fields sent change; null clears (back to the default)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    first_name: Name | None = None
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
    custom_fields: CustomFields | None = None
    tags: Tags | None = None
    starred: StrictBool | None = None
    lead_score: Score | None = None

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

    model_config = ConfigDict(extra="forbid")

    tag: Tag


@dataclass(frozen=True)
class StoredLead:
    """A lead as stored: its writable data plus what the system keeps about it."""

    id: str
    data: LeadData
    version: int
    created_at: str
    updated_at: str
    inquiry_count: int = 0
    # What the lead's identity and search items hold: the repository diffs these on every write.
    email_normalized: str | None = None
    phone_e164: str | None = None
    search_tokens: frozenset[str] = field(default_factory=frozenset)
    # The lead's records in other systems ({"hubspot": "151"}), each an identity item like the email, and
    # when the lead last took a change from each (ISO 8601 UTC): older changes are stale (docs/intake.md).
    external_ids: Mapping[str, str] = field(default_factory=dict)
    external_updated_at: Mapping[str, str] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def record(self) -> dict[str, Any]:
        """The lead as the API shows it."""
        return {
            "id": self.id,
            **self.data.model_dump(warnings=False),  # data stored before a rule (docs/text.md) is served as is
            "display_name": self.data.shown_name,
            "email_normalized": self.email_normalized,
            "phone_e164": self.phone_e164,
            "inquiry_count": self.inquiry_count,
            "external_ids": dict(self.external_ids),
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


# Every payload kept as an inquiry's payload as sent, whatever route or worker received it (docs/text.md).
PAYLOAD_LIMITS = JsonLimits(max_depth=9, max_members=1000, max_string_length=65_536)


@dataclass(frozen=True)
class NewInquiry:
    """One inquiry (反響) as received, kept on its lead. `payload` is the JSON the client sent, checked by the
    text rule at every depth when the inquiry is made (422 naming the place: `inquiry.message`)."""

    channel: Channel
    payload: Any
    occurred_at: str | None = None
    source: str | None = None
    media_domain: str | None = None
    client_id: str | None = None
    merge: Mapping[str, Any] | None = None  # what a match did with the values sent (filled, kept, replaced)

    def __post_init__(self) -> None:
        check_json(self.payload, "", PAYLOAD_LIMITS)


@dataclass(frozen=True)
class StoredInquiry:
    """An inquiry as stored, its payload and merge record decoded."""

    id: str
    lead_id: str
    channel: str
    payload: Any
    received_at: str
    occurred_at: str | None = None
    source: str | None = None
    media_domain: str | None = None
    client_id: str | None = None
    merge: Any = None

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lead_id": self.lead_id,
            "occurred_at": self.occurred_at,
            "received_at": self.received_at,
            "source": self.source,
            "media_domain": self.media_domain,
            "client_id": self.client_id,
            "channel": self.channel,
            "payload": self.payload,
            "merge": self.merge,
        }


def iso(moment: datetime) -> str:
    """Timestamps as the API writes them: UTC, millisecond precision, with offset."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
