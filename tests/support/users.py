"""Users for tests that assign leads: created through the users service, as POST /api/v1/users would."""

from __future__ import annotations

from leadgate.workspace.users import service
from leadgate.workspace.users.requests import UserCreate


def seed_users(tenant: str = "acme", count: int = 5) -> list[int]:
    """`count` active users (ids 1..count in a new tenant), so that LeadHub's `"assigned_user_id": 5` names one."""
    return [
        service.create_user(tenant, UserCreate(name=f"User {n}", email=f"user{n}@{tenant}.example")).id
        for n in range(1, count + 1)
    ]
