"""Applying one queued event, once per connection: what each provider event does to leads.

| provider | event | what happens |
| --- | --- | --- |
| hubspot | `contact.creation`, `contact.propertyChange` | fetch the contact (`fetch_hubspot_contact`), upsert |
| hubspot | `contact.deletion` | the lead keeps its data, loses `external_ids.hubspot`; the event is an inquiry on it |
| intercom | `contact.user.created`, `contact.lead.created`, `contact.*.updated` | upsert the contact it carries |
| standard | `lead.created`, `lead.updated` | upsert `data` (LeadHub's inbound fields) |
| any | anything else | `ignored`: acknowledged, never retried |

An upsert goes through `leadgate.intake.service.take_in` as the inbound API's upsert does (same dedup,
normalisation and inquiry record, the update policy), matched on the provider's record id first; the
inquiry has channel `webhook`, the provider as source, the connection as client and the event as received.

Errors: a permanent one (validation, an unknown or deleted contact, an ambiguous match) is recorded as
`failed` and not retried; a transient one (throttling, 5xx, timeouts, DynamoDB throttling, a lease held
by another worker) raises TransientError after handing the event back, so that SQS retries it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from leadgate import clock, dependencies, errors
from leadgate.intake.contracts import ExternalRef, Intake
from leadgate.intake.service import Outcome, take_in, unlink_external
from leadgate.integrations import contacts
from leadgate.integrations.errors import PermanentError, ProviderNotFound, TransientError
from leadgate.integrations.hubspot import Contact
from leadgate.leads.records import NewInquiry, iso
from leadgate.webhooks import ledger
from leadgate.webhooks.events import LAST_UNIX_SECOND, QueuedEvent

logger = Logger(child=True)

ResultStatus = Literal["applied", "duplicate", "ignored", "failed", "stale"]
FetchContact = Callable[[str], Contact]

HUBSPOT_UPSERTS = frozenset({"contact.creation", "contact.propertyChange"})
HUBSPOT_DELETION = "contact.deletion"
INTERCOM_UPSERTS = re.compile(r"contact\.(user|lead)\.(created|updated)")
STANDARD_UPSERTS = frozenset({"lead.created", "lead.updated"})


# What trying again later may change: a dependency's failure, write conflicts intake gave up on, a stored lead
# that cannot be read (kept in the dead-letter queue until it is repaired). Any other refusal (validation, not
# found, an ambiguous duplicate) is the event's own: recorded as failed.
RETRIED = (errors.Unavailable, errors.Conflict, errors.UnreadableRecord)


@dataclass(frozen=True)
class EventResult:
    status: ResultStatus
    lead_id: str | None = None
    reason: str | None = None

    def record(self) -> dict[str, Any]:
        return {"status": self.status, "lead_id": self.lead_id, "reason": self.reason}


def apply_event(
    event: QueuedEvent,
    fetch_hubspot_contact: FetchContact | None = None,
    *,
    lease_seconds: int = ledger.DEFAULT_LEASE_SECONDS,
) -> EventResult:
    """Apply the event unless this connection already did; raise TransientError to have it retried."""
    try:
        held = ledger.claim(event, now=clock.now(), lease_seconds=lease_seconds)
    except ledger.AlreadyDone as done:
        ledger.note_duplicate(event.connection_id, event.event_id)
        return EventResult("duplicate", done.record.lead_id, f"already {done.record.status}")
    except ledger.InProgress as busy:
        raise TransientError("the event is being applied by another worker") from busy
    except (ClientError, BotoCoreError) as error:
        _raise_if_transient(error)
        raise
    try:
        result = _outcome(event, fetch_hubspot_contact)
    except TransientError as error:
        ledger.release(held, now=clock.now(), error=str(error))
        raise
    except (ClientError, BotoCoreError) as error:
        ledger.release(held, now=clock.now(), error=type(error).__name__)
        _raise_if_transient(error)
        raise
    except Exception as error:  # a bug: hand it back, SQS retries it into the dead-letter queue
        logger.exception("Webhook event could not be applied", extra={"event_id": event.event_id})
        ledger.release(held, now=clock.now(), error=type(error).__name__)
        raise
    ledger.finish(
        held,
        result.status,
        now=clock.now(),
        lead_id=result.lead_id,
        error=result.reason if result.status == "failed" else None,
    )
    log = logger.error if result.status == "failed" else logger.info  # failed is final: an operator must see it
    log("Webhook event done", extra={"event_id": event.event_id, **result.record()})
    return result


def _outcome(event: QueuedEvent, fetch_hubspot_contact: FetchContact | None) -> EventResult:
    """The result of applying the event, a permanent failure included."""
    try:
        return _dispatch(event, fetch_hubspot_contact)
    except PermanentError as error:
        return EventResult("failed", reason=str(error))
    except RETRIED as error:
        raise TransientError(error.message) from error
    except errors.DomainError as error:
        return EventResult("failed", reason=_refusal(error))


def _dispatch(event: QueuedEvent, fetch_hubspot_contact: FetchContact | None) -> EventResult:
    kind = (event.provider, event.event_type)
    if event.provider == "hubspot" and event.event_type in HUBSPOT_UPSERTS:
        if fetch_hubspot_contact is None:
            raise TransientError("no HubSpot client for this connection")
        return _hubspot_upsert(event, fetch_hubspot_contact)
    if kind == ("hubspot", HUBSPOT_DELETION):
        return _hubspot_deletion(event)
    if event.provider == "intercom" and INTERCOM_UPSERTS.fullmatch(event.event_type):
        return _intercom_upsert(event)
    if event.provider == "standard" and event.event_type in STANDARD_UPSERTS:
        return _upsert(event, contacts.standard_values(event.event.get("data")), event.event, external=None)
    return EventResult("ignored", reason=f"{event.provider} {event.event_type} is not applied")


def _hubspot_upsert(event: QueuedEvent, fetch: FetchContact) -> EventResult:
    contact_id = str(event.event["objectId"])
    contact = fetch(contact_id)
    if contact.archived:
        raise ProviderNotFound(f"HubSpot contact {contact_id} is archived")
    payload = {"event": event.event, "contact": {"id": contact.id, "properties": dict(contact.properties)}}
    external = ExternalRef("hubspot", contact_id, iso(event.occurred_at))
    return _upsert(event, contacts.hubspot_values(contact.properties), payload, external=external)


def _hubspot_deletion(event: QueuedEvent) -> EventResult:
    external = ExternalRef("hubspot", str(event.event["objectId"]), iso(event.occurred_at))
    outcome = unlink_external(event.tenant_id, external, _inquiry(event, event.event))
    if outcome is None:
        return EventResult("ignored", reason="no lead is linked to this contact")
    return _result(outcome, "unlinked")


def _intercom_upsert(event: QueuedEvent) -> EventResult:
    item = (event.event.get("data") or {}).get("item")
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        raise PermanentError("the notification carries no contact")
    updated = item.get("updated_at")
    in_range = isinstance(updated, int) and 0 <= updated <= LAST_UNIX_SECOND  # else no datetime holds it
    changed_at = datetime.fromtimestamp(updated, UTC) if in_range else event.occurred_at
    external = ExternalRef("intercom", item["id"], iso(changed_at))
    return _upsert(event, contacts.intercom_values(item), event.event, external=external)


def _upsert(event: QueuedEvent, values: dict[str, Any], payload: Any, *, external: ExternalRef | None) -> EventResult:
    if external is None and not (values.get("email") or values.get("phone")):
        raise errors.ValidationFailed(
            errors={
                name: ["Give an email or a phone number: intake matches leads on them."] for name in ("email", "phone")
            }
        )
    intake = Intake(
        values=values, inquiry=_inquiry(event, payload), external=external, defaults={"source": event.provider}
    )
    outcome = take_in(event.tenant_id, intake, overwrite=True)
    return _result(outcome, outcome.result)


def _inquiry(event: QueuedEvent, payload: Any) -> NewInquiry:
    return NewInquiry(
        channel="webhook",
        payload=payload,
        occurred_at=iso(event.occurred_at),
        source=event.provider,
        client_id=event.connection_id,
    )


def _result(outcome: Outcome, what: str) -> EventResult:
    if outcome.stale:
        return EventResult("stale", outcome.lead_id, "the lead already took a later change from the provider")
    reason = what
    if outcome.conflicts:
        reason += "; not moved (belong to other leads): " + ", ".join(
            f"{kind} -> {lead}" for kind, lead in sorted(outcome.conflicts.items())
        )
    return EventResult("applied", outcome.lead_id, reason)


def _refusal(error: errors.DomainError) -> str:
    fields = "; ".join(f"{name}: {' '.join(messages)}" for name, messages in sorted(error.errors.items()))
    return f"{error.code}: {error.message}" + (f" ({fields})" if fields else "")


def _raise_if_transient(error: Exception) -> None:
    """TransientError for what `leadgate.dependencies` classes as transient (throttling, AWS 5xx, network
    errors); other AWS errors are the caller's to raise."""
    if dependencies.is_transient(error):
        code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
        raise TransientError(code or type(error).__name__) from error
