"""Disabling an endpoint the sender gives up on (it answered 410, or every attempt failed for 5 days): the
`webhook_endpoint.disabled` event journaled, then the endpoint made inactive with its reason.

The event comes first and its id is stable (the endpoint and the version the sender read), so a retried message,
or two attempts disabling the same endpoint at once, journal it once; a failure between the two steps leaves the
endpoint active, and the next failed attempt does both again. The endpoints table has no stream to derive the
event from (its items hold only settings), so the sender journals it itself, as the one writer of a disablement.
"""

from __future__ import annotations

from leadgate.events import journal
from leadgate.events.actor import SYSTEM
from leadgate.events.derive import event_id
from leadgate.events.model import Event
from leadgate.observability import logger
from leadgate.outbound import endpoints
from leadgate.outbound.endpoints import Endpoint

DISABLED = "webhook_endpoint.disabled"


def disable(endpoint: Endpoint, reason: str, at: str) -> bool:
    """Journals the event and disables the endpoint; False when it was no longer active: disabled by a concurrent
    attempt (which journaled the same event), or paused or deleted by a user since it was read (then the event
    stands beside the user's change: a rare race, and the endpoint is inactive either way)."""
    disabled = endpoint.changed(at, active=False, disabled_reason=reason)
    journal.append(disabled_event(endpoint, disabled))
    if not endpoints.disable(endpoint, reason, at):
        return False
    logger.info("Webhook endpoint disabled", extra={"endpoint_id": endpoint.id, "reason": reason})
    return True


def disabled_event(before: Endpoint, disabled: Endpoint) -> Event:
    return Event(
        id=event_id(before.tenant_id, f"webhook-endpoint:{before.id}", before.version, DISABLED),
        type=DISABLED,
        occurred_at=disabled.updated_at,
        tenant=disabled.tenant_id,
        actor=SYSTEM,
        data=disabled.record(),
    )
