"""`apply_event` under the SQS batch contract the worker will use, and what an event costs in DynamoDB."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

from leadgate.integrations.hubspot import HubSpotClient, HubSpotCredentials
from leadgate.settings import get_settings
from leadgate.webhooks.apply import apply_event
from leadgate.webhooks.events import QueuedEvent, split_hubspot
from leadgate_dev.bench.metering import metered_dynamodb
from tests.fakes.hubspot import contact_path

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def fetch(aws, fake_hubspot):
    fake_hubspot.add_private_token("pat-test")
    client = HubSpotClient(
        HubSpotCredentials(access_token="pat-test"), base_url=fake_hubspot.url, sleep=lambda _seconds: None
    )
    return client.get_contact


def delivery(*contact_ids):
    raw = [
        {
            "eventId": 100 + number,
            "portalId": 1,
            "occurredAt": int(T0.timestamp() * 1000),
            "subscriptionType": "contact.creation",
            "objectId": int(contact_id),
        }
        for number, contact_id in enumerate(contact_ids)
    ]
    return split_hubspot(raw, connection_id="conn-hs", tenant_id="acme", received_at=T0)


def sqs_event(events: list[QueuedEvent]) -> dict:
    return {
        "Records": [
            {
                "messageId": f"message-{number}",
                "receiptHandle": f"handle-{number}",
                "body": event.to_message(),
                "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1764493200000"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:leadgate-webhooks",
                "awsRegion": "us-east-1",
            }
            for number, event in enumerate(events)
        ]
    }


def test_one_poison_event_fails_alone_and_a_permanent_failure_is_acknowledged(fetch, fake_hubspot, lambda_context):
    good = fake_hubspot.add_contact(email="good@example.jp")
    poison = fake_hubspot.add_contact(email="poison@example.jp")
    fake_hubspot.fail(contact_path(poison), 503)  # always: transient, retried by SQS into the DLQ
    results = []

    def record_handler(record):
        results.append(apply_event(QueuedEvent.from_message(record.body), fetch))

    answer = process_partial_response(
        event=sqs_event(delivery(good, poison, 999999)),  # 999999: unknown contact, permanent
        record_handler=record_handler,
        processor=BatchProcessor(event_type=EventType.SQS),
        context=lambda_context,
    )

    assert answer == {"batchItemFailures": [{"itemIdentifier": "message-1"}]}
    assert sorted(result.status for result in results) == ["applied", "failed"]


def test_a_new_event_costs_two_ledger_writes_beside_its_intake(fetch, fake_hubspot):
    (event,) = delivery(fake_hubspot.add_contact(email="cost@example.jp", phone="09012345678"))
    settings = get_settings()

    with metered_dynamodb() as meter:
        apply_event(event, fetch)
    with metered_dynamodb() as again:
        apply_event(event, fetch)

    ledger, leads = meter.table(settings.webhook_events_table), meter.table(settings.leads_table)
    assert dict(ledger.calls) == {"UpdateItem": 2}  # claim, finish
    # external id, email and phone in ONE strongly consistent read; ONE transaction; the counters.
    assert dict(leads.calls) == {"BatchGetItem": 1, "TransactWriteItems": 1, "UpdateItem": 1}
    assert leads.items_read == 3
    # A duplicate: the refused claim and the duplicate count; nothing on the leads table.
    assert dict(again.table(settings.webhook_events_table).calls) == {"UpdateItem": 2}
    assert again.table(settings.leads_table).total_calls == 0
    assert json.loads(event.to_message())["event_id"] == "100"
