"""Refused webhook deliveries, limited per (connection id, source address): a guesser is slowed down.

Only failures are counted, so an authentic delivery costs no DynamoDB write (the receiver acknowledges
without one). Each refusal is one conditional UpdateItem on `FixedWindowCounter` (subject
`webhook#{connection}#{ip}`); at `FAILURE_LIMIT` in a window the refusals turn from 401 into 429 with
`Retry-After`, and the instance remembers the exhausted window, so further refusals cost no call at all.
A connection id that is not one (wrong shape) shares one subject per address, so made-up ids cannot make
counters without bound.
"""

from __future__ import annotations

from leadgate import errors
from leadgate.connections.models import is_connection_id
from leadgate.ratelimit import Policy, request_counter

# 20 refusals per 5 minutes: a sender with a wrong secret (or a clock off by minutes) is refused quickly
# and clearly; HubSpot and others deliver from many addresses, each with its own count.
FAILURE_POLICY = Policy(limit=20, window=300)


def failure_subject(connection_id: str, source_ip: str) -> str:
    connection = connection_id if is_connection_id(connection_id) else "-"
    return f"webhook#{connection}#{source_ip[:64]}"


def count_failure(connection_id: str, source_ip: str) -> None:
    """Counts one refused delivery; raises RateLimited (429) once the subject is over the limit."""
    decision = request_counter().hit(failure_subject(connection_id, source_ip), (FAILURE_POLICY,))
    if not decision.allowed:
        raise errors.RateLimited("Too many refused deliveries; retry later.", retry_after=decision.retry_after)
