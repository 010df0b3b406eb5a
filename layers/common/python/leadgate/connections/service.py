"""The API's reads of connections: `GET /api/v1/connections`, `GET /api/v1/connections/{id}` and its sync runs
(`GET /api/v1/connections/{id}/runs`, newest first, one Query of the sync table per page).

Scoped to the caller's tenant (another tenant's connection is a 404, as a missing one), answered in the public
view (no secret, no ARN), listed in creation order in LeadHub's `data`/`meta`/`links` envelope with an opaque
cursor bound to the tenant.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from leadgate import errors
from leadgate.api import validation_errors
from leadgate.connections.models import is_connection_id
from leadgate.connections.registry import ConnectionRegistry, UnknownConnection
from leadgate.sync import runs as sync_runs

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
CURSOR_VERSION = 1


class ConnectionListParams(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None


def get_connection(tenant_id: str, connection_id: str) -> dict[str, Any]:
    if not is_connection_id(connection_id):
        raise errors.NotFound("No such connection.")
    try:
        return ConnectionRegistry.from_settings().get_for_tenant(tenant_id, connection_id).public()
    except UnknownConnection as exc:
        raise errors.NotFound("No such connection.") from exc


def list_runs(tenant_id: str, connection_id: str, query: Mapping[str, str], url: str) -> dict[str, Any]:
    get_connection(tenant_id, connection_id)  # another tenant's connection is a 404, as a missing one
    params = _list_params(query)
    runs, next_cursor = sync_runs.list_runs(tenant_id, connection_id, limit=params.per_page, cursor=params.cursor)
    return _envelope([run.to_json() for run in runs], next_cursor, params, query, url)


def list_connections(tenant_id: str, query: Mapping[str, str], url: str) -> dict[str, Any]:
    params = _list_params(query)
    cursor = _decode_cursor(params.cursor, tenant_id) if params.cursor else None
    after, page_number, offset = cursor if cursor else (None, 1, 0)
    page = ConnectionRegistry.from_settings().list_for_tenant(tenant_id, limit=params.per_page, after=after)
    records = [connection.public() for connection in page.connections]
    next_cursor = (
        _encode_cursor(tenant_id, page.last_key, page_number + 1, offset + len(records)) if page.last_key else None
    )
    return _envelope(records, next_cursor, params, query, url, page_number=page_number, offset=offset)


def _list_params(query: Mapping[str, str]) -> ConnectionListParams:
    try:
        return ConnectionListParams.model_validate({name: value for name, value in query.items() if value != ""})
    except ValidationError as exc:
        raise errors.ValidationFailed(errors=validation_errors(list(exc.errors()))) from exc


def _envelope(
    records: list[dict[str, Any]],
    next_cursor: str | None,
    params: ConnectionListParams,
    query: Mapping[str, str],
    url: str,
    *,
    page_number: int | None = None,
    offset: int | None = None,
) -> dict[str, Any]:
    """LeadHub's `data`/`meta`/`links`; page numbers and totals only where the cursor carries them."""
    kept = {name: value for name, value in query.items() if name != "cursor" and value != ""}
    first = offset + 1 if offset is not None and records else None
    return {
        "data": records,
        "meta": {
            "current_page": page_number,
            "per_page": params.per_page,
            "from": first,
            "to": offset + len(records) if first else None,
            "total": offset + len(records) if offset is not None and next_cursor is None else None,
            "next_cursor": next_cursor,
        },
        "links": {
            "first": f"{url}?{urlencode(kept)}" if kept else url,
            "next": f"{url}?{urlencode({**kept, 'cursor': next_cursor})}" if next_cursor else None,
            "self": f"{url}?{urlencode(query)}" if query else url,
        },
    }


def _tenant_digest(tenant_id: str) -> str:
    return hashlib.sha256(f"connections:{tenant_id}".encode()).hexdigest()[:16]


def _encode_cursor(tenant_id: str, after: str, page: int, offset: int) -> str:
    body = {"v": CURSOR_VERSION, "t": _tenant_digest(tenant_id), "a": after, "p": page, "o": offset}
    return base64.urlsafe_b64encode(json.dumps(body, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_cursor(raw: str, tenant_id: str) -> tuple[str, int, int]:
    """A cursor this tenant's list produced, else 400 INVALID_CURSOR."""
    try:
        body = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise _invalid_cursor("The cursor is malformed.") from exc
    if not isinstance(body, dict) or body.get("v") != CURSOR_VERSION:
        raise _invalid_cursor("The cursor is malformed.")
    if body.get("t") != _tenant_digest(tenant_id):
        raise _invalid_cursor("The cursor belongs to another list; start again without it.")
    after, page, offset = body.get("a"), body.get("p"), body.get("o")
    if not (isinstance(after, str) and is_connection_id(after)) or not all(
        isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 10**6 for value in (page, offset)
    ):
        raise _invalid_cursor("The cursor is malformed.")
    return after, page, offset


def _invalid_cursor(reason: str) -> errors.BadRequest:
    return errors.BadRequest(
        "The cursor is not valid for this request.", code="INVALID_CURSOR", errors={"cursor": [reason]}
    )
