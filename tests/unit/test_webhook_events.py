"""Splitting deliveries into queued events, and providers' contacts into lead values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from leadgate import errors
from leadgate.integrations.contacts import hubspot_values, intercom_values, standard_values
from leadgate.webhooks.events import MalformedDelivery, QueuedEvent, split_hubspot, split_intercom, split_standard

RECEIVED = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
WHERE = {"connection_id": "conn-1", "tenant_id": "acme", "received_at": RECEIVED}


def hubspot_event(event_id: int, object_id: int = 151, kind: str = "contact.creation", at: int = 1_764_493_200_000):
    return {
        "eventId": event_id,
        "subscriptionId": 118651,
        "portalId": 5808466,
        "occurredAt": at,
        "subscriptionType": kind,
        "attemptNumber": 0,
        "objectId": object_id,
        "changeSource": "CRM",
        "appId": 193354,
    }


def test_a_hubspot_delivery_is_one_event_per_array_item_kept_as_received():
    body = [hubspot_event(1), hubspot_event(2, 152, "contact.propertyChange", 1_764_493_201_500)]

    queued = split_hubspot(body, **WHERE)

    assert [(e.event_id, e.event_type) for e in queued] == [("1", "contact.creation"), ("2", "contact.propertyChange")]
    assert queued[1].occurred_at == datetime(2025, 11, 30, 9, 0, 1, 500_000, tzinfo=UTC)
    assert all(e.provider == "hubspot" and e.received_at == RECEIVED and e.tenant_id == "acme" for e in queued)
    assert queued[0].event == body[0]


def test_a_queued_event_round_trips_through_the_message():
    (event,) = split_hubspot([hubspot_event(7)], **WHERE)
    assert QueuedEvent.from_message(event.to_message()) == event


@pytest.mark.parametrize(
    "body",
    [
        [],
        {"eventId": 1},
        [hubspot_event(n) for n in range(101)],
        [{"eventId": 1, "subscriptionType": "contact.creation", "objectId": 1}],  # no occurredAt
        [{**hubspot_event(1), "occurredAt": "yesterday"}],
        ["not an object"],
    ],
)
def test_a_malformed_hubspot_delivery_is_refused(body):
    with pytest.raises(MalformedDelivery):
        split_hubspot(body, **WHERE)


def test_an_intercom_notification_is_one_event():
    body = {
        "type": "notification_event",
        "id": "notif_ccd8a4d0-f965-11e3-a367-c779cae3e1b3",
        "topic": "contact.user.created",
        "app_id": "abc123",
        "created_at": 1_764_493_200,
        "data": {"item": {"type": "contact", "id": "6762f0dd1bb69f9f2193bb8a", "email": "jane@example.com"}},
    }

    (event,) = split_intercom(body, **WHERE)

    assert (event.provider, event.event_id, event.event_type) == ("intercom", body["id"], "contact.user.created")
    assert event.occurred_at == datetime(2025, 11, 30, 9, 0, tzinfo=UTC)
    assert event.event == body


def test_an_intercom_body_that_is_no_notification_is_refused():
    with pytest.raises(MalformedDelivery, match="type"):
        split_intercom({"type": "ping", "id": "x", "topic": "ping", "created_at": 1, "data": {}}, **WHERE)


def test_a_standard_webhook_is_keyed_by_its_webhook_id():
    body = {"type": "lead.created", "timestamp": "2026-11-30T08:59:00Z", "data": {"email": "a@example.jp"}}

    (event,) = split_standard("msg_p5jXN8AQM9LWM0D4loKWxJek", body, **WHERE)

    assert (event.provider, event.event_id, event.event_type) == (
        "standard",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "lead.created",
    )
    assert event.occurred_at == datetime(2026, 11, 30, 8, 59, tzinfo=UTC)


def test_a_standard_webhook_without_timestamp_happened_when_received():
    (event,) = split_standard("msg_1", {"type": "lead.updated", "data": {}}, **WHERE)
    assert event.occurred_at == RECEIVED


@pytest.mark.parametrize(("webhook_id", "body"), [("", {"type": "x", "data": {}}), ("msg_1", {"data": {}})])
def test_a_malformed_standard_webhook_is_refused(webhook_id, body):
    with pytest.raises(MalformedDelivery):
        split_standard(webhook_id, body, **WHERE)


# ------------------------------------------------------------------ contacts as lead values


def test_hubspot_properties_become_lead_fields():
    values = hubspot_values(
        {
            "email": " Taro@Example.JP ",
            "firstname": "太郎",
            "lastname": "山田",
            "phone": "内線12",
            "mobilephone": "090-1234-5678",
            "company": "株式会社テスト",
            "zip": "100-0001",
            "state": "東京都",
            "city": "千代田区",
            "address": "千代田1-1",
            "jobtitle": "部長",
            "lifecyclestage": "lead",
            "hs_lead_status": None,
            "lastmodifieddate": "2026-11-30T09:00:00.000Z",
        }
    )

    assert values == {
        "email": "Taro@Example.JP",
        "first_name": "太郎",
        "last_name": "山田",
        "phone": "090-1234-5678",  # the first valid number
        "company": "株式会社テスト",
        "address": "100-0001 東京都 千代田区 千代田1-1",
        "custom_fields": {"hubspot_jobtitle": "部長", "hubspot_lifecyclestage": "lead"},
    }


def test_an_invalid_hubspot_email_fails_validation():
    with pytest.raises(errors.ValidationFailed) as raised:
        hubspot_values({"email": "not-an-email"})
    assert "email" in raised.value.errors


@pytest.mark.parametrize(
    ("name", "family", "given"),
    [("山田 太郎", "山田", "太郎"), ("Jane Doe", "Doe", "Jane"), ("Prince", "Prince", None)],
)
def test_an_intercom_name_is_split_in_its_script_order(name, family, given):
    values = intercom_values({"type": "contact", "id": "x", "role": "lead", "name": name, "email": "j@example.com"})
    assert (values.get("last_name"), values.get("first_name")) == (family, given)
    assert "display_name" not in values  # the name as sent is the default display name: it follows the names
    assert values["custom_fields"] == {"intercom_role": "lead"}


def test_standard_data_are_leadhub_inbound_fields():
    assert standard_values({"email": "a@example.jp", "first_name": "花子", "tags": ["Web"], "notes": ""}) == {
        "email": "a@example.jp",
        "first_name": "花子",
        "tags": ["web"],
    }
    with pytest.raises(errors.ValidationFailed):
        standard_values({"email": "a@example.jp", "unknown": 1})
