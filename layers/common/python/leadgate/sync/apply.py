"""Applying pulled records: through the intake domain, and not at all when nothing changed.

For each page:

1. ONE BatchGetItem (per 100 records) reads the content-hash items `HASH#{external id}` of the page.
2. A record whose mapped fields hash as last applied, or that is older than what was applied
   (`updated_at`), is `unchanged`: no write at all.
3. Any other record goes through `take_in_record` (the intake domain: normalisation, dedup, merge policy,
   an inquiry with the provider as source and the payload as received), then ONE PutItem stores its hash.

Re-applying a page (a crash between its apply and its checkpoint) therefore finds every hash stored and
writes nothing; a crash between a record's intake and its hash write re-applies that one record, which
changes no value and records its inquiry once more.

Outcomes: `created` (a new lead), `updated` (matched, and a value changed), `matched` (matched, nothing to
change), `unchanged` (hash equal: no write), `failed` (refused by intake: invalid, ambiguous, ...).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from aws_lambda_powertools import Logger

from leadgate import aws, dependencies, errors
from leadgate.intake.contracts import ExternalRef, Intake, IntakeLead
from leadgate.intake.service import Outcome, take_in
from leadgate.leads.records import NewInquiry
from leadgate.sync import keys
from leadgate.sync.connector import ConnectorConfig, Record
from leadgate.validation import parse

logger = Logger(child=True)

BATCH_GET_LIMIT = 100

Result = Literal["created", "matched", "updated", "unchanged", "failed"]


@dataclass(frozen=True)
class RecordResult:
    external_id: str
    outcome: Result
    lead_id: str | None = None
    error: str | None = None  # an error code (VALIDATION_FAILED, DUPLICATE_AMBIGUOUS, ...), never values


@dataclass(frozen=True)
class Applied:
    """What the sync last applied for one external id."""

    digest: str
    lead_id: str | None
    updated_at: str | None
    lead_updated_at: str | None = None  # the lead's updated_at right after the sync wrote it: the push's echo test


def content_hash(record: Record) -> str:
    """A digest of the lead fields a record maps to: the provider's other changes (last seen, counters) do
    not count as changes."""
    canonical = json.dumps(dict(record.fields), sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def take_in_record(config: ConnectorConfig, record: Record, intake: Intake) -> Outcome:
    """THE place where a pulled record meets its lead: by its external id first (`intake.external`), then
    by email or phone, through `take_in` with the update policy (the provider's latest values replace the
    lead's: it is the source of truth for what it syncs)."""
    return take_in(config.tenant_id, intake, overwrite=True)


def apply_page(config: ConnectorConfig, records: Sequence[Record]) -> list[RecordResult]:
    applied = read_applied(config, [record.external_id for record in records])
    results = []
    for record in records:
        result = _apply_record(config, record, applied.get(record.external_id))
        if result.outcome not in ("unchanged", "failed"):
            applied[record.external_id] = Applied(content_hash(record), result.lead_id, record.updated_at)
        results.append(result)
    return results


def _apply_record(config: ConnectorConfig, record: Record, previous: Applied | None) -> RecordResult:
    digest = content_hash(record)
    if previous and (previous.digest == digest or _older(record.updated_at, previous.updated_at)):
        return RecordResult(record.external_id, "unchanged", previous.lead_id)
    try:
        outcome = take_in_record(config, record, to_intake(config, record))
    except errors.DomainError as error:
        return RecordResult(record.external_id, "failed", error=error.code)
    except Exception:  # one record's crash must not lose the page's other records
        logger.exception("Sync record failed", extra={"connection_id": config.connection_id})
        return RecordResult(record.external_id, "failed", error="SERVER_ERROR")
    lead_updated_at = outcome.lead.updated_at if outcome.lead else None
    store_applied(config, record.external_id, Applied(digest, outcome.lead_id, record.updated_at, lead_updated_at))
    return RecordResult(record.external_id, _result(outcome), outcome.lead_id)


def to_intake(config: ConnectorConfig, record: Record) -> Intake:
    """The record's fields as a validated intake, with an inquiry holding the payload as received."""
    lead = parse(IntakeLead, dict(record.fields))
    lead.require_identity()
    return Intake(
        values=lead.values(),
        inquiry=NewInquiry(
            channel="sync",
            payload=record.payload,
            occurred_at=record.updated_at,
            source=config.provider,
            client_id=f"sync:{config.connection_id}",
        ),
        external=ExternalRef(config.provider, record.external_id, record.updated_at),
    )


def _result(outcome: Outcome) -> Result:
    if outcome.created:
        return "created"
    changed = outcome.merge is not None and (outcome.merge.filled or outcome.merge.replaced)
    return "updated" if changed else "matched"


def _older(updated_at: str | None, applied_at: str | None) -> bool:
    if not updated_at or not applied_at:
        return False
    return datetime.fromisoformat(updated_at) < datetime.fromisoformat(applied_at)


def read_applied(config: ConnectorConfig, external_ids: Sequence[str]) -> dict[str, Applied]:
    """The hash items of these external ids: BatchGetItem, 100 keys a call, unprocessed keys retried."""
    found: dict[str, Applied] = {}
    unique = list(dict.fromkeys(external_ids))
    for start in range(0, len(unique), BATCH_GET_LIMIT):
        request = {
            keys.table(): {
                "Keys": [
                    keys.key(config.tenant_id, config.connection_id, keys.hash_sk(external_id))
                    for external_id in unique[start : start + BATCH_GET_LIMIT]
                ]
            }
        }
        items, left = dependencies.batch_get(aws.dynamodb(), request)
        for item in items.get(keys.table(), []):
            found[item["external_id"]["S"]] = Applied(
                item["digest"]["S"],
                _optional(item, "lead_id"),
                _optional(item, "updated_at"),
                _optional(item, "lead_updated_at"),
            )
        if left:  # still throttled: treating these as never applied costs writes, never correctness
            logger.warning("Content hashes left unread", extra={"connection_id": config.connection_id})
    return found


def store_applied(config: ConnectorConfig, external_id: str, applied: Applied) -> None:
    item: dict[str, Any] = keys.key(config.tenant_id, config.connection_id, keys.hash_sk(external_id)) | {
        "external_id": {"S": external_id},
        "digest": {"S": applied.digest},
    }
    for name in ("lead_id", "updated_at", "lead_updated_at"):
        if getattr(applied, name):
            item[name] = {"S": getattr(applied, name)}
    aws.dynamodb().put_item(TableName=keys.table(), Item=item)


def _optional(item: Mapping[str, Any], name: str) -> str | None:
    return item[name]["S"] if name in item else None
