"""Runs of one connection never overlap: a lease item in the sync table, taken with a conditional write.

- `acquire` puts the lease if there is none or the one there has expired (`lease_until < now`): a run that
  crashed without releasing is taken over once its lease runs out. Anyone else's live lease → `None`, and
  the caller records a skipped run.
- Each page's checkpoint is saved in one transaction with `renewal()`, which extends the lease only while
  this run still owns it: a run that lost its lease can never move the checkpoint.
- `release` deletes the lease, only if it is still ours.

Items: `LEASE` with `owner` (the run id), `lease_until` (Unix seconds) and `expires_at` (TTL, a day later,
so leases of deleted connections do not linger).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from leadgate import aws
from leadgate.sync import keys

TTL_AFTER_EXPIRY_SECONDS = 86_400


class LeaseLost(Exception):
    """Another run holds the lease now: this one overran its lease and must stop without saving."""


@dataclass(frozen=True)
class Lease:
    tenant_id: str
    connection_id: str
    owner: str
    seconds: float

    def renewal(self, now: float) -> dict[str, Any]:
        """A transaction item extending this lease, conditional on still owning it."""
        return {
            "Update": {
                "TableName": keys.table(),
                "Key": keys.key(self.tenant_id, self.connection_id, keys.LEASE_SK),
                "UpdateExpression": "SET lease_until = :until, expires_at = :expires",
                "ConditionExpression": "#owner = :owner",
                "ExpressionAttributeNames": {"#owner": "owner"},
                "ExpressionAttributeValues": _times(now, self.seconds) | {":owner": {"S": self.owner}},
            }
        }


def acquire(tenant_id: str, connection_id: str, owner: str, *, now: float, seconds: float) -> Lease | None:
    """The lease for `seconds`, or None when another run holds a live one."""
    item = keys.key(tenant_id, connection_id, keys.LEASE_SK) | {
        "owner": {"S": owner},
        "lease_until": {"N": _number(now + seconds)},
        "expires_at": {"N": str(int(now + seconds + TTL_AFTER_EXPIRY_SECONDS))},
    }
    try:
        aws.dynamodb().put_item(
            TableName=keys.table(),
            Item=item,
            ConditionExpression="attribute_not_exists(pk) OR lease_until < :now",
            ExpressionAttributeValues={":now": {"N": _number(now)}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
            return None
        raise
    return Lease(tenant_id, connection_id, owner, seconds)


def release(lease: Lease) -> None:
    """Give the lease up, if it is still ours (a run that overran it must not delete its successor's)."""
    try:
        aws.dynamodb().delete_item(
            TableName=keys.table(),
            Key=keys.key(lease.tenant_id, lease.connection_id, keys.LEASE_SK),
            ConditionExpression="#owner = :owner",
            ExpressionAttributeNames={"#owner": "owner"},
            ExpressionAttributeValues={":owner": {"S": lease.owner}},
        )
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ConditionalCheckFailedException":
            raise


def _times(now: float, seconds: float) -> dict[str, Any]:
    return {
        ":until": {"N": _number(now + seconds)},
        ":expires": {"N": str(int(now + seconds + TTL_AFTER_EXPIRY_SECONDS))},
    }


def _number(value: float) -> str:
    return f"{value:.3f}"
