"""Forms in the workspace table (docs/access-patterns.md, "Forms").

A form is two items written together in ONE transaction, conditional on the version read: its object item in
the tenant's partition (`T#{tenant}`, `FORM#{id}`, listed with the tenant's other objects) and its public copy
keyed by the public id alone (`FORMPUBLIC#{public_id}`), which the public submission route reads with ONE
GetItem without knowing the tenant. Rotating the public id deletes the old copy in the same transaction.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadgate import aws
from leadgate.forms.records import Form, form_from
from leadgate.settings import get_settings
from leadgate.workspace import items, keys, objects

FORM = "form"
PUBLIC_ID_BYTES = 18  # 144 random bits: unguessable, and short enough for a URL


class StaleWrite(Exception):
    """A condition of the transaction failed: another request changed (or created) the form."""


def _table() -> str:
    return get_settings().workspace_table


def new_public_id() -> str:
    return f"pf_{secrets.token_urlsafe(PUBLIC_ID_BYTES)}"


def public_key(public_id: str) -> dict[str, dict[str, Any]]:
    return keys.key(f"FORMPUBLIC#{public_id}", "FORMPUBLIC")


def get(tenant_id: str, form_id: int) -> Form | None:
    """ONE GetItem, strongly consistent."""
    item = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=keys.object_key(tenant_id, FORM, form_id), ConsistentRead=True)
        .get("Item")
    )
    return form_from(items.plain(item)) if item else None


def get_public(public_id: str) -> Form | None:
    """The form a public id names, with its tenant: ONE GetItem (eventually consistent: a form just changed
    takes effect within a second)."""
    item = aws.dynamodb().get_item(TableName=_table(), Key=public_key(public_id)).get("Item")
    return form_from(items.plain(item)) if item else None


def all_forms(tenant_id: str) -> list[Form]:
    """Every form of the tenant in id order: ONE Query (pages of 1 MB)."""
    return [form_from(found) for found in objects.all_of_kind(tenant_id, FORM)]


def writes(form: Form, *, before: Form | None) -> list[dict[str, Any]]:
    """The entries that store `form` (created when `before` is None, else changed from it)."""
    expected = before.version if before else None
    attributes = form.attributes()
    entries = [
        {
            "Put": items.versioned(
                {
                    "TableName": _table(),
                    "Item": items.to_item(
                        {"pk": keys.partition(form.tenant_id), "sk": keys.object_sk(FORM, form.id), **attributes}
                    ),
                },
                expected,
            )
        },
        {"Put": {"TableName": _table(), "Item": {**public_key(form.public_id), **items.to_item(attributes)}}},
    ]
    if before is not None and before.public_id != form.public_id:
        entries.append({"Delete": {"TableName": _table(), "Key": public_key(before.public_id)}})
    return entries


def deletes(form: Form) -> list[dict[str, Any]]:
    entry = {"TableName": _table(), "Key": keys.object_key(form.tenant_id, FORM, form.id)}
    return [
        {"Delete": items.versioned(entry, form.version)},
        {"Delete": {"TableName": _table(), "Key": public_key(form.public_id)}},
    ]


def commit(entries: Sequence[dict[str, Any]]) -> None:
    """ONE TransactWriteItems; `StaleWrite` when a condition failed."""
    try:
        aws.dynamodb().transact_write_items(TransactItems=list(entries), ClientRequestToken=str(uuid.uuid4()))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = {reason.get("Code") for reason in error.response.get("CancellationReasons") or []}
        if reasons - {"None", "ConditionalCheckFailed", "TransactionConflict"}:
            raise
        raise StaleWrite() from error
