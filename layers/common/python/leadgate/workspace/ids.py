"""Small integer ids per tenant and kind (`"pipeline_id": 1`, as LeadHub's examples send), and their form in paths.

An id is allocated by ONE UpdateItem (`ADD last :n`) on the kind's sequence item: atomic, so concurrent
creations never share an id, and a creation that fails afterwards only leaves a gap. Ids are never reused.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field

from leadgate import aws, errors
from leadgate.settings import get_settings
from leadgate.workspace import keys

# A workspace id in a body: a JSON integer (not a string, not a boolean), positive, exact in every client.
WorkspaceId = Annotated[int, Field(strict=True, ge=1, le=keys.MAX_ID)]

_CANONICAL = re.compile(r"[1-9][0-9]{0,15}")


def allocate(tenant_id: str, kind: str, count: int = 1, *, table: str | None = None) -> range:
    """`count` new consecutive ids of `kind` in the tenant (ONE UpdateItem), in the workspace table unless
    `table` names another with the same `pk`/`sk` keys (webhook endpoints)."""
    answer = aws.dynamodb().update_item(
        TableName=table or get_settings().workspace_table,
        Key=keys.key(keys.partition(tenant_id), keys.sequence_sk(kind)),
        UpdateExpression="ADD #last :count",
        ExpressionAttributeNames={"#last": "last"},
        ExpressionAttributeValues={":count": {"N": str(count)}},
        ReturnValues="UPDATED_NEW",
    )
    last = int(answer["Attributes"]["last"]["N"])
    return range(last - count + 1, last + 1)


def start_sequence(tenant_id: str, kind: str, last: int) -> dict[str, Any]:
    """The TransactWriteItems entry that starts a kind's sequence at `last` (ids 1..last taken by the same
    transaction); it fails if the sequence has started."""
    return {
        "Put": {
            "TableName": get_settings().workspace_table,
            "Item": {**keys.key(keys.partition(tenant_id), keys.sequence_sk(kind)), "last": {"N": str(last)}},
            "ConditionExpression": "attribute_not_exists(pk)",
        }
    }


def allocate_one(tenant_id: str, kind: str, *, table: str | None = None) -> int:
    return allocate(tenant_id, kind, table=table)[0]


def parse(text: str) -> int | None:
    """The id a path segment names: its canonical decimal form only (no sign, no leading zero), 1 to 2^53."""
    if not _CANONICAL.fullmatch(text):
        return None
    value = int(text)
    return value if value <= keys.MAX_ID else None


def from_path(text: str, what: str = "record") -> int:
    """The id of a path parameter; anything else names nothing, so it is a 404 (`NOT_FOUND`), never a 422."""
    value = parse(text)
    if value is None:
        raise errors.NotFound(f"No such {what}.")
    return value
