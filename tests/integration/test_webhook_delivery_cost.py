"""What an event costs on its way out (docs/webhooks-out.md, "Costs"): DynamoDB and SQS calls to dispatch a stream
batch and to deliver each event, measured on the handlers with a metered client. No lead write is involved: the
journal's stream is the only input."""

from __future__ import annotations

from collections import Counter

from leadgate import aws as clients
from leadgate.aws import reset_clients
from leadgate.outbound import service
from leadgate.outbound.endpoints import EndpointCreate
from leadgate_dev.bench.metering import metered_dynamodb
from leadgate_dev.harness import handle
from tests.support.outbound import Receiver, lead_event, queued, stream_event

EVENTS = 10


def test_calls_per_event_dispatched_and_delivered(aws, monkeypatch):
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "true")
    reset_clients()
    sqs: Counter[str] = Counter()
    client = clients.sqs()
    client.meta.events.register("after-call.sqs", lambda model, **_: sqs.update([model.name]), unique_id="cost")
    with Receiver() as receiver:
        service.create("acme", EndpointCreate(url=receiver.url))
        service.create("acme", EndpointCreate(url=receiver.url, event_types=["form.*"]))  # wants none of them
        events = [lead_event(lead_id=f"L{n}") for n in range(EVENTS)]
        with metered_dynamodb() as dispatching:
            handle("webhook_dispatcher", stream_event(events))
        dispatch_sqs = dict(sqs)
        sqs.clear()
        batch = queued()
        with metered_dynamodb() as sending:
            handle("webhook_sender", batch)
        assert len(receiver.received) == EVENTS
    # Dispatch: one Query for the tenant's endpoints per batch, one PutItem per delivery, one SendMessageBatch
    # per 10 deliveries of the batch (queued together at its end).
    assert dispatching.calls == Counter({"Query": 1, "PutItem": EVENTS})
    assert dispatch_sqs == {"SendMessageBatch": -(-EVENTS // 10)}
    # Delivery: read the delivery and the endpoint, claim, log: 4 calls per successful attempt, and no SQS call.
    assert sending.calls == Counter({"GetItem": 2 * EVENTS, "UpdateItem": 2 * EVENTS})
    assert sqs == {}
    print(f"\ndispatch {EVENTS} events: {dispatching.summary()}; sqs {dispatch_sqs}")
    print(f"deliver {EVENTS} events: {sending.summary()}")
