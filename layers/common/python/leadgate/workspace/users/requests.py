"""The users API's request bodies: `UserCreate` (POST), `UserReplace` (PUT: every field, defaults for those not
sent), `UserPatch` (PATCH: only the fields sent). Text follows the one text rule (leadgate.text, via the leads'
field types); an email is checked and made canonical as a lead's is."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import PydanticCustomError

from leadgate import normalize
from leadgate.leads.fields import Email, Name
from leadgate.params import QueryModel
from leadgate.workspace import keys
from leadgate.workspace.users.records import Role

READ_ONLY_FIELDS = frozenset({"id", "open_lead_count", "created_at", "updated_at"})


class _EchoesReadOnlyFields(BaseModel):
    """A GET record may be sent back: its read-only fields are accepted and ignored."""

    @model_validator(mode="before")
    @classmethod
    def _ignore_read_only_fields(cls, raw: Any) -> Any:
        if isinstance(raw, dict):
            return {name: value for name, value in raw.items() if name not in READ_ONLY_FIELDS}
        return raw


class UserCreate(BaseModel):
    """POST /api/v1/users: `name` and `email` required; a member, active, unless told."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: Name
    email: Email
    role: Role = "member"
    active: StrictBool = True

    @field_validator("email")
    @classmethod
    def _email_required(cls, value: str | None) -> str:
        if value is None:
            raise PydanticCustomError("required", "The email field is required.")
        return value

    @property
    def email_normalized(self) -> str:
        canonical = normalize.canonical_email(self.email)
        assert canonical is not None  # Email accepts only addresses that have one
        return canonical


class UserReplace(UserCreate, _EchoesReadOnlyFields):
    """PUT /api/v1/users/{id}: read-only fields of a GET record (`id`, `open_lead_count`, the dates) may be sent
    back and are ignored."""


class UserPatch(_EchoesReadOnlyFields):
    """PATCH /api/v1/users/{id}: each field optional; `null` is refused (a user always has each)."""

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)

    name: Name = None
    email: Email = None
    role: Role | SkipJsonSchema[None] = None  # left out, not null: the description offers no null
    active: StrictBool | SkipJsonSchema[None] = None

    @field_validator("name", "email", "role", "active", mode="before")
    @classmethod
    def _not_cleared(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            raise PydanticCustomError("required", "This field cannot be cleared.")
        return value

    def changes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.model_fields_set}


class UserDeleteParams(QueryModel):
    """DELETE /api/v1/users/{id}: `reassign_to` moves the user's leads to that active user first."""

    reassign_to: int | None = Field(default=None, ge=1, le=keys.MAX_ID, description="An active user's id.")
