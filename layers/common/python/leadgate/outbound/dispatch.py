"""The dispatcher: for each new event of the journal (the events table's stream), one delivery per endpoint of
the event's tenant that wants its type, queued for the sender. An inactive endpoint (paused, or disabled with a
reason) gets its deliveries `paused`: they are sent when it is made active again, so nothing is lost meanwhile.

Idempotent: a stream record dispatched again finds its deliveries (conditional PutItem) and queues the pending
ones again; the sender ignores a message whose delivery is no longer pending. So the dispatcher function queues
a whole stream batch's messages at its end (SendMessageBatch by 10, not one call per event): if that fails, the
invocation fails and Lambda hands the batch over again.
"""

from __future__ import annotations

from leadgate.events.model import Event
from leadgate.outbound import deliveries, endpoints, queue


def dispatch(event: Event, known: dict[str, list[endpoints.Endpoint]] | None = None) -> list[str]:
    """Creates the event's deliveries; returns the messages to queue for the pending ones (the caller sends a
    stream batch's together: `queue.send_all`). `known` caches each tenant's endpoints for one batch of stream
    records (ONE Query per tenant per batch)."""
    known = {} if known is None else known
    if event.tenant not in known:
        known[event.tenant] = endpoints.all_endpoints(event.tenant)
    queued = []
    for endpoint in known[event.tenant]:
        if not endpoint.wants(event.type):
            continue
        status = "pending" if endpoint.active else "paused"
        created = deliveries.create(event.tenant, endpoint.id, event, status)
        if status == "pending" and (created or _still_pending(event, endpoint)):
            queued.append(queue.deliver_message(event.tenant, endpoint.id, event.id))
    return queued


def _still_pending(event: Event, endpoint: endpoints.Endpoint) -> bool:
    existing = deliveries.get(event.tenant, endpoint.id, event.id)
    return existing is not None and existing.status == "pending" and not existing.attempts
