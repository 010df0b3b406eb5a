"""Who is making the current change: a context variable the edge sets and the leads repository reads.

The edge sets it from the authorizer's client id (`client:<id>`), the inbound webhook worker and sync from
their connection (`integration:<id>`); the repository stamps every lead and inquiry item it writes with it
(`changed_by`, `change_depth`), so the stream function can say who made each change (docs/events.md).
Nothing set means `system` (an operator's CLI, a job).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

SYSTEM = "system"
CLIENT_PREFIX = "client:"


@dataclass(frozen=True)
class Actor:
    name: str  # `client:<id>`, `integration:<id>`, `automation:<id>`, `form:<id>` or `system`
    depth: int = 0  # how many automations' changes led to this one (the automations' loop guard)


_NOBODY = Actor(SYSTEM)
_current: contextvars.ContextVar[Actor | None] = contextvars.ContextVar("leadgate_actor", default=None)


def current() -> Actor:
    return _current.get() or _NOBODY


@contextmanager
def acting_as(name: str, depth: int = 0) -> Iterator[Actor]:
    """Changes made inside the block are `name`'s."""
    actor = Actor(name, depth)
    token = _current.set(actor)
    try:
        yield actor
    finally:
        _current.reset(token)


def client_id() -> str | None:
    """The API client acting now, when one is (a lead's stage history names it)."""
    name = current().name
    return name.removeprefix(CLIENT_PREFIX) if name.startswith(CLIENT_PREFIX) else None


def client(client_id: str) -> str:
    return f"{CLIENT_PREFIX}{client_id}"


def integration(connection_id: str) -> str:
    return f"integration:{connection_id}"
