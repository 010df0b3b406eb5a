"""The worker's handler with real SQS events: partial batch failures, OAuth token storage, warm caches."""

from __future__ import annotations

import json

import pytest

from leadgate import aws as leadgate_aws
from leadgate.connections import registry
from leadgate.connections.secrets import default_store
from leadgate.webhooks import worker
from leadgate.webhooks.events import split_hubspot, split_standard
from leadgate.webhooks.ledger import get as ledger_record
from leadgate_dev.harness import handle
from tests.fakes.hubspot import contact_path

APP_SECRET = "hubspot-app-secret"


def sqs_event(bodies: list[str]) -> dict:
    return {
        "Records": [
            {
                "messageId": f"message-{number}",
                "receiptHandle": f"handle-{number}",
                "body": body,
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764493200000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:leadgate-webhooks",
                "awsRegion": "us-east-1",
            }
            for number, body in enumerate(bodies)
        ]
    }


@pytest.fixture(autouse=True)
def fresh_clients():
    worker.hubspot_clients.clear()
    registry.clear_cache()
    yield
    worker.hubspot_clients.clear()


def hubspot_connection(fake_hubspot, **secrets):
    from tests.support.webhooks import create

    return create(
        "hubspot",
        portal_id="42",
        app_id="7",
        client_id="cid",
        client_secret=APP_SECRET,
        base_url=fake_hubspot.url,
        **secrets,
    )


def hubspot_messages(connection, *contact_ids) -> list[str]:
    raw = [
        {"eventId": 500 + n, "subscriptionType": "contact.creation", "objectId": int(c), "occurredAt": 1764493200000}
        for n, c in enumerate(contact_ids)
    ]
    return [e.to_message() for e in split_hubspot(raw, connection_id=connection["connection_id"], tenant_id="acme")]


def test_one_poison_event_fails_alone(aws, fake_hubspot):

    fake_hubspot.add_private_token("pat-1")
    connection = hubspot_connection(fake_hubspot, access_token="pat-1")
    good = fake_hubspot.add_contact(email="good@example.jp")
    poison = fake_hubspot.add_contact(email="poison@example.jp")
    fake_hubspot.fail(contact_path(poison), 503)  # always: transient
    standard = split_standard(
        "msg-1", {"type": "lead.created", "data": {"email": "std@example.jp"}}, connection_id="con_x", tenant_id="acme"
    )[0]
    bodies = [*hubspot_messages(connection, good, poison, 999999), standard.to_message(), "{not a queued event"]

    answer = handle("webhook_worker", sqs_event(bodies))

    assert answer == {"batchItemFailures": [{"itemIdentifier": "message-1"}, {"itemIdentifier": "message-4"}]}
    cid = connection["connection_id"]
    assert ledger_record(cid, "500").status == "applied"
    assert ledger_record(cid, "501").status == "retrying"
    assert ledger_record(cid, "502").status == "failed"  # unknown contact: permanent, acknowledged
    assert ledger_record("con_x", "msg-1").status == "applied"


def test_oauth_tokens_are_stored_and_a_warm_worker_reads_no_secret(aws, fake_hubspot):

    fake_hubspot.register_app("cid", APP_SECRET, "refresh-1")
    connection = hubspot_connection(fake_hubspot, refresh_token="refresh-1")
    contacts = [fake_hubspot.add_contact(email=f"o{n}@example.jp") for n in range(3)]
    bodies = hubspot_messages(connection, *contacts)

    assert handle("webhook_worker", sqs_event(bodies[:1])) == {"batchItemFailures": []}
    stored_connection = registry.get_connection(connection["connection_id"])
    stored = default_store().read(stored_connection.secret_arn, force_fetch=True).secrets
    assert stored.access_token is not None and stored.access_token_expires_at is not None
    assert stored.refresh_token.get_secret_value() == "refresh-1"

    calls = []
    leadgate_aws.secretsmanager().meta.events.register(
        "before-call.secrets-manager.*", lambda model, **_: calls.append(model.name)
    )
    assert handle("webhook_worker", sqs_event(bodies[1:])) == {"batchItemFailures": []}
    assert calls == []  # warm: the secret and the client come from the instance
    assert len(fake_hubspot.requests_to("/oauth/v1/token")) == 1
    assert json.loads(bodies[0])["connection_id"] == connection["connection_id"]


def test_the_sample_batch_is_acknowledged_whole(aws):
    from tests.support.samples import sample_event

    event = sample_event("webhook_worker", "batch")

    assert handle("webhook_worker", event) == {"batchItemFailures": []}
    connection_id = "con_01KB0000000000000000000000"
    assert ledger_record(connection_id, "1001").status == "failed"  # its connection does not exist
    assert ledger_record(connection_id, "msg_sample_1").status == "applied"
