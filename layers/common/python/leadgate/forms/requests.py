"""The forms API's request bodies: `FormCreate` (POST), `FormReplace` (PUT), `FormPatch` (PATCH).

A form declares its fields (what a submission may send, each mapped to a lead field or `custom_fields.<key>`),
its target (where a NEW lead lands: stage, tags, user; checked against the workspace when saved), the origins
allowed to post from a browser, where the browser goes afterwards (`redirect_url`) or what it is told
(`success_message`), its consent declarations, its honeypot field and whether it takes submissions."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leadgate.leads.fields import Tags
from leadgate.text import Text
from leadgate.workspace.ids import WorkspaceId

MAX_FIELDS = 50
MAX_OPTIONS = 100
MAX_ORIGINS = 20
MAX_CONSENTS = 10
FieldType = Literal["text", "email", "tel", "textarea", "select", "checkbox", "hidden"]
# The lead fields a form field may fill (besides `custom_fields.<key>`).
LEAD_FIELDS = frozenset(
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
    }
)
CUSTOM_PREFIX = "custom_fields."
FieldName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.\-]{0,63}$")]
_ORIGIN = re.compile(r"^https?://[A-Za-z0-9.\-]+(:[0-9]{1,5})?$")
Origin = Annotated[
    str,
    StringConstraints(max_length=253, pattern=_ORIGIN.pattern),
    Field(description="An origin as browsers send it: `https://www.example.jp` (scheme, host, port; no path)."),
]
RedirectUrl = Annotated[str, StringConstraints(max_length=2000, pattern=r"^https?://[^\s]+$")]
SuccessMessage = Text(1000, multiline=True)
ReadOnly = frozenset({"id", "public_id", "created_at", "updated_at"})


class FormField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: FieldName
    label: Text(200) | None = None
    type: FieldType = "text"
    required: StrictBool = False
    options: Annotated[list[Text(200)], Field(max_length=MAX_OPTIONS)] | None = None
    maps_to: Annotated[str, StringConstraints(max_length=120)] | None = None

    @field_validator("maps_to")
    @classmethod
    def _lead_field(cls, value: str | None) -> str | None:
        if value is None or value in LEAD_FIELDS:
            return value
        key = value.removeprefix(CUSTOM_PREFIX)
        if value.startswith(CUSTOM_PREFIX) and re.fullmatch(r"[A-Za-z0-9_\-]{1,100}", key):
            return value
        raise PydanticCustomError(
            "maps_to",
            "maps_to must be a lead field ({fields}) or custom_fields.<key>.",
            {"fields": sorted(LEAD_FIELDS)},
        )

    @model_validator(mode="after")
    def _options_for_select(self) -> FormField:
        if self.type == "select" and not self.options:
            raise PydanticCustomError("options", "A select field needs its options.")
        return self


class FormTarget(BaseModel):
    """Where a new lead from this form lands: the workspace's references, checked when the form is saved."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pipeline_id: WorkspaceId | None = None
    pipeline_stage_id: WorkspaceId | None = None
    tags: Tags = Field(default_factory=list)
    assigned_user_id: WorkspaceId | None = None


class ConsentDeclaration(BaseModel):
    """A consent the form asks for: its purpose, the exact text shown and the text's version. The submission
    grants it by sending the field `consent_<purpose>` checked (or HubSpot's `legalConsentOptions`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    purpose: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,39}$")]
    text: Text(2000, multiline=True)
    version: Text(40)


class _EchoesReadOnly(BaseModel):
    """A GET record may be sent back: its read-only fields are accepted and ignored."""

    @model_validator(mode="before")
    @classmethod
    def _ignore_read_only(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {name: value for name, value in raw.items() if name not in ReadOnly}
        return raw


class FormCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text(200)
    fields: Annotated[list[FormField], Field(min_length=1, max_length=MAX_FIELDS)]
    target: FormTarget = Field(default_factory=FormTarget)
    allowed_origins: Annotated[list[Origin], Field(max_length=MAX_ORIGINS)] = Field(default_factory=list)
    redirect_url: RedirectUrl | None = None
    success_message: SuccessMessage | None = None
    consents: Annotated[list[ConsentDeclaration], Field(max_length=MAX_CONSENTS)] = Field(default_factory=list)
    honeypot_field: FieldName | None = None
    turnstile: StrictBool = Field(
        default=False, description="Submissions must carry a Cloudflare Turnstile token (`cf-turnstile-response`)."
    )
    active: StrictBool = True

    @field_validator("fields")
    @classmethod
    def _names_once(cls, fields: list[FormField]) -> list[FormField]:
        names = [field.name for field in fields]
        if len(set(names)) != len(names):
            raise PydanticCustomError("fields", "Each field name may appear once.")
        if not any(field.maps_to in ("email", "phone") for field in fields):
            raise PydanticCustomError("fields", "A field must map to email or phone: intake matches leads on them.")
        return fields

    @field_validator("consents")
    @classmethod
    def _purposes_once(cls, consents: list[ConsentDeclaration]) -> list[ConsentDeclaration]:
        purposes = [consent.purpose for consent in consents]
        if len(set(purposes)) != len(purposes):
            raise PydanticCustomError("consents", "Each consent purpose may appear once.")
        return consents

    @field_validator("honeypot_field")
    @classmethod
    def _not_a_field(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and value in {field.name for field in info.data.get("fields") or []}:
            raise PydanticCustomError("honeypot_field", "The honeypot field must not be one of the form's fields.")
        return value


class FormReplace(FormCreate, _EchoesReadOnly):
    """PUT /api/v1/forms/{id}: every field; read-only fields of a GET record are ignored."""


class FormPatch(_EchoesReadOnly):
    """PATCH /api/v1/forms/{id}: only the fields sent change (`null` clears `redirect_url`, `success_message` and
    `honeypot_field`); the form they make is then checked whole, as a PUT's."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # A field left out stays as it is; `null` is refused where the form always has a value (its type is not
    # optional: the default is never validated, a sent null is).
    name: Text(200) = None
    fields: Annotated[list[FormField], Field(min_length=1, max_length=MAX_FIELDS)] = None
    target: FormTarget = None
    allowed_origins: Annotated[list[Origin], Field(max_length=MAX_ORIGINS)] = None
    redirect_url: RedirectUrl | None = None
    success_message: SuccessMessage | None = None
    consents: Annotated[list[ConsentDeclaration], Field(max_length=MAX_CONSENTS)] = None
    honeypot_field: FieldName | None = None
    turnstile: StrictBool = None
    active: StrictBool = None

    def changes(self) -> dict[str, Any]:
        return self.model_dump(mode="json", include=set(self.model_fields_set))
