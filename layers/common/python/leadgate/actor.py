"""Who is making the current change: the API client whose request is being served (None outside a request).

The edge sets it for the length of a request (`leadgate.api.LeadgateResolver`); domain code that records who did
something (a lead's stage history) reads it with `current()` instead of having it passed down every call.
A context variable, so concurrent requests in threads (the local stack) each see their own.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager

_client_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("leadgate_actor", default=None)


def current() -> str | None:
    """The client id acting now, or None (a worker, a job, the CLI)."""
    return _client_id.get()


@contextmanager
def acting(client_id: str | None) -> Iterator[None]:
    """Within the block, `current()` is `client_id`."""
    token = _client_id.set(client_id)
    try:
        yield
    finally:
        _client_id.reset(token)
