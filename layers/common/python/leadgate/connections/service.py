"""The API's reads of integrations (connections): a page of them, one of them, and its sync runs (newest first,
one Query of the sync table per page); `/api/v1/integrations` and its alias `/api/v1/connections`.

Scoped to the caller's tenant (another tenant's connection is a 404, as a missing one), answered in the public
view (no secret, no ARN), listed in creation order, a page at a time with an opaque cursor bound to the tenant.
"""

from __future__ import annotations

import hashlib

from leadgate import cursors, errors
from leadgate.connections.models import Connection, is_connection_id
from leadgate.connections.params import ConnectionListParams
from leadgate.connections.registry import ConnectionRegistry, UnknownConnection
from leadgate.lists import Page
from leadgate.sync import runs as sync_runs

NO_SUCH_CONNECTION = "No such integration."


def tenant_connection(tenant_id: str, connection_id: str, registry: ConnectionRegistry | None = None) -> Connection:
    """The tenant's connection, read through (not the receiver's cached read); another tenant's is a 404."""
    if not is_connection_id(connection_id):
        raise errors.NotFound(NO_SUCH_CONNECTION)
    try:
        return (registry or ConnectionRegistry.from_settings()).get_for_tenant(tenant_id, connection_id)
    except UnknownConnection as exc:
        raise errors.NotFound(NO_SUCH_CONNECTION) from exc


def list_runs(tenant_id: str, connection_id: str, params: ConnectionListParams) -> Page:
    tenant_connection(tenant_id, connection_id)  # another tenant's connection is a 404, as a missing one
    runs, next_cursor = sync_runs.list_runs(tenant_id, connection_id, limit=params.per_page, cursor=params.cursor)
    return Page([run.to_json() for run in runs], params.per_page, next_cursor)


def list_connections(tenant_id: str, params: ConnectionListParams) -> Page:
    cursor = _decode_cursor(params.cursor, tenant_id) if params.cursor else None
    after, page_number, offset = cursor if cursor else (None, 1, 0)
    page = ConnectionRegistry.from_settings().list_for_tenant(tenant_id, limit=params.per_page, after=after)
    records = [connection.public() for connection in page.connections]
    next_cursor = (
        _encode_cursor(tenant_id, page.last_key, page_number + 1, offset + len(records)) if page.last_key else None
    )
    return Page(records, params.per_page, next_cursor, number=page_number, offset=offset)


def _tenant_digest(tenant_id: str) -> str:
    return hashlib.sha256(f"connections:{tenant_id}".encode()).hexdigest()[:16]


def _encode_cursor(tenant_id: str, after: str, page: int, offset: int) -> str:
    return cursors.encode({"t": _tenant_digest(tenant_id), "a": after, "p": page, "o": offset})


def _decode_cursor(raw: str, tenant_id: str) -> tuple[str, int, int]:
    """A cursor this tenant's list produced, else 400 INVALID_CURSOR."""
    body = cursors.decode(raw)
    if body.get("t") != _tenant_digest(tenant_id):
        raise cursors.invalid("The cursor belongs to another list; start again without it.")
    after, page, offset = body.get("a"), body.get("p"), body.get("o")
    if not (isinstance(after, str) and is_connection_id(after)) or not (
        cursors.is_count(page, minimum=2) and cursors.is_count(offset)
    ):
        raise cursors.invalid(cursors.MALFORMED)
    return after, page, offset
