"""Users in the workspace table: the user items (`USER#{id}`), the claim of each canonical email
(`UNIQUE#user#{email}`, holding the id), and writes as ONE transaction conditional on the version read."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from leadgate import aws
from leadgate.settings import get_settings
from leadgate.workspace import items, keys, objects
from leadgate.workspace.users.records import User, user_from


class EmailTaken(Exception):
    """Another user of the tenant holds the email."""


class StaleWrite(Exception):
    """A condition failed: another request changed (or created) what the transaction writes."""


def _table() -> str:
    return get_settings().workspace_table


def get(tenant_id: str, user_id: int) -> User | None:
    """ONE GetItem, strongly consistent."""
    item = (
        aws.dynamodb()
        .get_item(TableName=_table(), Key=keys.object_key(tenant_id, keys.USER, user_id), ConsistentRead=True)
        .get("Item")
    )
    return user_from(items.plain(item)) if item else None


def all_users(tenant_id: str) -> list[User]:
    """Every user of the tenant in id order: ONE Query (pages of 1 MB; a tenant has hundreds at most)."""
    return [user_from(found) for found in objects.all_of_kind(tenant_id, keys.USER)]


def active_check(tenant_id: str, user_id: int) -> dict[str, Any]:
    """The TransactWriteItems entry that holds only if the user exists and is active (a lead's new assignment)."""
    return {
        "ConditionCheck": {
            "TableName": _table(),
            "Key": keys.object_key(tenant_id, keys.USER, user_id),
            "ConditionExpression": "active = :true",
            "ExpressionAttributeValues": {":true": {"BOOL": True}},
        }
    }


def put(tenant_id: str, user: User, *, expected_version: int | None) -> dict[str, Any]:
    item = {"pk": keys.partition(tenant_id), "sk": keys.object_sk(keys.USER, user.id), **user.attributes()}
    put_entry: dict[str, Any] = {"TableName": _table(), "Item": items.to_item(item)}
    return {"Put": items.versioned(put_entry, expected_version)}


def delete(tenant_id: str, user: User) -> dict[str, Any]:
    entry = {"TableName": _table(), "Key": keys.object_key(tenant_id, keys.USER, user.id)}
    return {"Delete": items.versioned(entry, user.version)}


def claim_email(tenant_id: str, user_id: int, email_normalized: str) -> dict[str, Any]:
    """Claims the canonical email for the user, only if no user holds it."""
    item = {"pk": keys.partition(tenant_id), "sk": keys.unique_sk(keys.USER, email_normalized), "id": user_id}
    return {
        "Put": {"TableName": _table(), "Item": items.to_item(item), "ConditionExpression": "attribute_not_exists(pk)"}
    }


def release_email(tenant_id: str, user_id: int, email_normalized: str) -> dict[str, Any]:
    """Frees the user's canonical email (only if it is still theirs)."""
    return {
        "Delete": {
            "TableName": _table(),
            "Key": keys.key(keys.partition(tenant_id), keys.unique_sk(keys.USER, email_normalized)),
            "ConditionExpression": "id = :id",
            "ExpressionAttributeValues": {":id": {"N": str(user_id)}},
        }
    }


def commit(entries: Sequence[dict[str, Any]]) -> None:
    """ONE TransactWriteItems. `EmailTaken` when an email claim failed, `StaleWrite` for any other condition."""
    try:
        aws.dynamodb().transact_write_items(TransactItems=list(entries), ClientRequestToken=str(uuid.uuid4()))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        reasons = [reason.get("Code") for reason in error.response.get("CancellationReasons") or []]
        if set(reasons) - {"None", "ConditionalCheckFailed", "TransactionConflict"}:
            raise
        for entry, code in zip(entries, reasons, strict=False):
            if code == "ConditionalCheckFailed" and _is_email_claim(entry):
                raise EmailTaken() from error
        raise StaleWrite() from error


def _is_email_claim(entry: dict[str, Any]) -> bool:
    put_entry = entry.get("Put")
    return bool(put_entry) and put_entry["Item"]["sk"]["S"].startswith(keys.unique_sk(keys.USER, ""))
