"""A user as stored in the workspace table and as the API shows it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Literal

Role = Literal["admin", "member", "viewer"]


@dataclass(frozen=True)
class User:
    id: int
    name: str
    email: str  # as sent
    email_normalized: str  # leadgate.normalize.canonical_email: the unique value
    role: str
    active: bool
    created_at: str
    updated_at: str
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def changed(self, updated_at: str, **values: Any) -> User:
        return replace(self, **values, updated_at=updated_at, version=self.version + 1)

    def attributes(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in User.__dataclass_fields__}

    def record(self, open_lead_count: int) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "email": self.email,
            "role": self.role,
            "active": self.active,
            "open_lead_count": open_lead_count,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def user_from(attributes: dict[str, Any]) -> User:
    return User(**{name: attributes[name] for name in User.__dataclass_fields__ if name in attributes})
