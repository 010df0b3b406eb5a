"""The sender: one message of the deliveries queue at a time (`process`), for the sender function.

A `deliver` message tries one pending delivery: the endpoint's URL is resolved and checked again now
(`leadgate.ssrf.resolve`; a name may point elsewhere since it was saved) and the connection is pinned to the
checked address, without redirects, with a 15 s timeout. The attempt is logged on the delivery. Then:
2xx succeeded; 410 disables the endpoint; a timeout, a network error, a 5xx or a 429 is tried again on the
schedule (`leadgate.outbound.schedule`); any other answer, or an unsafe address, fails the delivery. An endpoint
failing every attempt for 5 days is disabled with a reason (`leadgate.outbound.disabling`: with a
`webhook_endpoint.disabled` event). A paused endpoint's delivery becomes `paused`.

A `release` message makes a page of an endpoint's deliveries `pending` and queues them, then queues its next
page. The sweeper (`sweep`) queues the deliveries whose long wait (beyond SQS's 15 minutes) is over.
"""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import requests

from leadgate import clock, ssrf
from leadgate.integrations.transport import retry_after
from leadgate.outbound import deliveries, disabling, endpoints, queue, schedule, secrets, signing
from leadgate.outbound.deliveries import Delivery
from leadgate.outbound.endpoints import Endpoint
from leadgate.ratelimit import Policy, request_counter
from leadgate.settings import get_settings

RETRIED_STATUSES = frozenset({429}) | frozenset(range(500, 600))
GONE = 410
RATE_LIMITED_DELAY = 1
CLAIM_SECONDS = 60  # the sender's timeout: a claim outlives any attempt of the invocation that took it


def process(body: str) -> None:
    message = json.loads(body)
    if message["kind"] == "deliver":
        trigger = message.get("trigger", "scheduled")
        deliver(message["tenant"], int(message["endpoint_id"]), message["event_id"], trigger)
    elif message["kind"] == "release":
        release(message)
    else:
        raise ValueError(f"Unknown deliveries message kind {message['kind']!r}")


def deliver(tenant_id: str, endpoint_id: int, event_id: str, trigger: str = "scheduled") -> None:
    delivery = deliveries.get(tenant_id, endpoint_id, event_id)
    if delivery is None or delivery.status != "pending":
        return  # already sent, failed for good, or paused: a duplicate message
    endpoint = endpoints.get(tenant_id, endpoint_id)
    if endpoint is None:
        deliveries.set_status(delivery, "failed", only_from=("pending",))
        return
    if not endpoint.active:
        deliveries.set_status(delivery, "paused", only_from=("pending",))
        return
    if not _within_rate_limit(endpoint):
        # Over the endpoint's deliveries per second: the same message again in a second, no attempt counted.
        queue.send(queue.deliver_message(tenant_id, endpoint_id, event_id, trigger), RATE_LIMITED_DELAY)
        return
    if not deliveries.claim(delivery, clock.timestamp(), CLAIM_SECONDS):
        return
    attempt, answer = _attempt(endpoint, delivery, trigger)
    _settle(endpoint, delivery, attempt, answer)


def _within_rate_limit(endpoint: Endpoint) -> bool:
    """`rate_limit` deliveries per second per endpoint: one conditional UpdateItem on the rate-limit table's
    fixed windows (none when the endpoint sets no limit)."""
    if endpoint.rate_limit is None:
        return True
    policy = Policy(limit=endpoint.rate_limit, window=1)
    return request_counter().hit(f"outbound#{endpoint.tenant_id}#{endpoint.id}", (policy,)).allowed


def _attempt(endpoint: Endpoint, delivery: Delivery, trigger: str) -> tuple[dict[str, Any], _Answer]:
    started = clock.now()
    began = time.monotonic()
    answer = _send(endpoint, delivery, started)
    attempt = {
        "attempted_at": clock.iso(started),
        "status_code": answer.status,
        "duration_ms": round((time.monotonic() - began) * 1000),
        "response": answer.text,
        "error": answer.error,
        "trigger": trigger,
    }
    return attempt, answer


class _Answer:
    def __init__(
        self,
        status: int | None = None,
        text: str = "",
        error: str | None = None,
        *,
        retried: bool,
        retry_after: float | None = None,
    ) -> None:
        self.status, self.text, self.error, self.retried, self.retry_after = status, text, error, retried, retry_after


def _send(endpoint: Endpoint, delivery: Delivery, at: datetime) -> _Answer:
    try:
        target = ssrf.resolve(endpoint.url, allow_loopback=get_settings().allow_loopback_urls)
    except ssrf.UnsafeUrl as refused:
        return _Answer(error=f"unsafe address: {refused.errors.get('url', [refused.message])[0]}", retried=False)
    event = delivery.parsed_event()
    body = signing.payload(event)
    headers = signing.headers(event.id, body, secrets.signing_secrets(endpoint.secret_arn), at)
    try:
        with ssrf.pinned_session(target) as session:
            response = session.post(
                endpoint.url, data=body.encode(), headers=headers, timeout=schedule.TIMEOUT_SECONDS, stream=True
            )
            with response:
                text = response.raw.read(deliveries.ANSWER_BYTES, decode_content=True).decode("utf-8", "replace")
    except requests.Timeout:
        return _Answer(error="timeout", retried=True)
    except requests.RequestException as exc:
        return _Answer(error=f"network error: {type(exc).__name__}", retried=True)
    status = response.status_code
    if 200 <= status < 300:
        return _Answer(status, text, retried=False)
    return _Answer(
        status,
        text,
        f"HTTP {status}",
        retried=status in RETRIED_STATUSES,
        retry_after=retry_after(response, clock.timestamp()),
    )


def _settle(endpoint: Endpoint, delivery: Delivery, attempt: dict[str, Any], answer: _Answer) -> None:
    now = clock.now()
    if answer.error is None:
        deliveries.record_attempt(delivery, attempt, status="succeeded", tries=0, next_attempt_at=None)
        endpoints.note_success(endpoint)
        return
    tries = delivery.tries + 1
    if answer.status == GONE:
        deliveries.record_attempt(delivery, attempt, status="failed", tries=tries, next_attempt_at=None)
        disabling.disable(endpoint, "The endpoint answered 410 Gone.", clock.iso(now))
        return
    failing_since = endpoints.note_failure(endpoint, clock.iso(now))
    wait = schedule.next_wait(tries, answer.retry_after) if answer.retried else None
    if wait is None:
        deliveries.record_attempt(delivery, attempt, status="failed", tries=tries, next_attempt_at=None)
    else:
        due = clock.iso(now.timestamp() + wait)
        delay = schedule.sqs_delay(wait)
        parked = due if delay is None else None
        deliveries.record_attempt(delivery, attempt, status="pending", tries=tries, next_attempt_at=due, due_at=parked)
        if delay is not None:
            queue.send(queue.deliver_message(delivery.tenant_id, delivery.endpoint_id, delivery.event_id), delay)
    if now - datetime.fromisoformat(failing_since) >= schedule.DISABLE_AFTER:
        disabling.disable(endpoint, "Every delivery attempt failed for 5 days.", clock.iso(now))


def release(message: dict[str, Any]) -> None:
    tenant_id, endpoint_id = message["tenant"], int(message["endpoint_id"])
    statuses = tuple(message["statuses"])
    found, next_start = deliveries.since(tenant_id, endpoint_id, statuses, message.get("since"), message.get("start"))
    trigger = message["trigger"]
    released = [
        queue.deliver_message(tenant_id, endpoint_id, delivery.event_id, trigger)
        for delivery in found
        if deliveries.set_status(delivery, "pending", only_from=statuses, restart=True)
    ]
    queue.send_all(released)
    if next_start:
        following = queue.release_message(
            tenant_id, endpoint_id, statuses, since=message.get("since"), trigger=trigger, start=next_start
        )
        queue.send(following)


def sweep() -> int:
    """Queues every delivery whose long wait is over (the scheduled sweeper, each minute); returns how many."""
    due = deliveries.due(clock.iso(clock.now()))
    bodies = [
        queue.deliver_message(item["tenant_id"]["S"], int(item["endpoint_id"]["N"]), item["event_id"]["S"])
        for item in due
        if deliveries.unpark(item, item["due_at"]["S"])
    ]
    queue.send_all(bodies)
    return len(bodies)
