"""A form as stored in the workspace table and as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Form:
    id: int
    tenant_id: str
    public_id: str
    name: str
    fields: list[dict[str, Any]]
    created_at: str
    updated_at: str
    target: dict[str, Any] = field(default_factory=dict)
    allowed_origins: list[str] = field(default_factory=list)
    redirect_url: str | None = None
    success_message: str | None = None
    consents: list[dict[str, Any]] = field(default_factory=list)
    honeypot_field: str | None = None
    turnstile: bool = False
    active: bool = True
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def changed(self, updated_at: str, **values: Any) -> Form:
        return replace(self, **values, updated_at=updated_at, version=self.version + 1)

    def attributes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in Form.__dataclass_fields__}

    def editable(self) -> dict[str, Any]:
        """The fields a PUT sends (a PATCH is applied on top of them)."""
        return {name: value for name, value in self.record().items() if name not in EDITABLE_EXCLUDED}

    def field_named(self, name: str) -> dict[str, Any] | None:
        return next((entry for entry in self.fields if entry["name"] == name), None)

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "public_id": self.public_id,
            "name": self.name,
            "fields": self.fields,
            "target": self.target,
            "allowed_origins": self.allowed_origins,
            "redirect_url": self.redirect_url,
            "success_message": self.success_message,
            "consents": self.consents,
            "honeypot_field": self.honeypot_field,
            "turnstile": self.turnstile,
            "active": self.active,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


EDITABLE_EXCLUDED = frozenset({"id", "public_id", "created_at", "updated_at"})


def form_from(attributes: dict[str, Any]) -> Form:
    return Form(**{name: attributes[name] for name in Form.__dataclass_fields__ if name in attributes})
