"""Applying queued webhook events on moto: external ids first, stale changes, deletion, apply-once, errors.

HubSpot contacts come from the loopback fake through the real client, as the worker will fetch them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError

from leadgate import errors
from leadgate.integrations.errors import TransientError
from leadgate.integrations.hubspot import HubSpotClient, HubSpotCredentials
from leadgate.leads import pages, repository
from leadgate.settings import get_settings
from leadgate.webhooks import apply as apply_module
from leadgate.webhooks import ledger
from leadgate.webhooks.apply import apply_event
from leadgate.webhooks.events import split_hubspot, split_intercom, split_standard
from tests.fakes.hubspot import contact_path
from tests.support.leads import LeadsApi

T0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
CONNECTION = {"connection_id": "conn-hs", "tenant_id": "acme"}


@pytest.fixture
def hubspot(aws, fake_hubspot):
    fake_hubspot.add_private_token("pat-test")
    client = HubSpotClient(
        HubSpotCredentials(access_token="pat-test"), base_url=fake_hubspot.url, sleep=lambda _seconds: None
    )
    return fake_hubspot, client.get_contact


def hubspot_event(event_id, contact_id, kind="contact.propertyChange", at=T0):
    raw = {
        "eventId": event_id,
        "subscriptionId": 1,
        "portalId": 5808466,
        "occurredAt": int(at.timestamp() * 1000),
        "subscriptionType": kind,
        "attemptNumber": 0,
        "objectId": int(contact_id),
        "appId": 193354,
    }
    (event,) = split_hubspot([raw], **CONNECTION, received_at=at)
    return event


def inquiries(lead_id):
    return pages.list_inquiries("acme", lead_id, per_page=50, forward=True).inquiries


def test_a_hubspot_contact_becomes_a_lead_with_its_external_id(hubspot, invoke):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="taro@example.jp", firstname="太郎", lastname="山田", phone="09012345678")

    result = apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch)

    assert result.status == "applied"
    lead = LeadsApi().call("GET", f"/api/v1/leads/{result.lead_id}").data
    assert lead["external_ids"] == {"hubspot": contact_id}
    assert (lead["email"], lead["last_name"], lead["phone_e164"], lead["source"]) == (
        "taro@example.jp",
        "山田",
        "+819012345678",
        "hubspot",
    )
    listed = LeadsApi().call("GET", "/api/v1/leads").data
    assert [item["external_ids"] for item in listed] == [{"hubspot": contact_id}]
    (inquiry,) = inquiries(result.lead_id)
    assert (inquiry.channel, inquiry.source, inquiry.client_id) == ("webhook", "hubspot", "conn-hs")
    assert "objectId" in inquiry.payload["event"]
    assert inquiry.payload["contact"]["properties"]["email"] == "taro@example.jp"


def test_the_external_id_matches_first_so_a_changed_email_still_maps_to_the_lead(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="old@example.jp", firstname="花子")
    first = apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch)
    fake.update_contact(contact_id, email="new@example.jp")

    second = apply_event(hubspot_event(2, contact_id, at=T0 + timedelta(minutes=1)), fetch)

    assert second.status == "applied"
    assert second.lead_id == first.lead_id
    lead = repository.get("acme", first.lead_id)
    assert lead.data.email == "new@example.jp"
    assert repository.find_by_identity("acme", email="new@example.jp") == {"email": first.lead_id}
    assert repository.find_by_identity("acme", email="old@example.jp") == {}


def test_a_lead_found_by_email_gains_the_link(hubspot, invoke):
    fake, fetch = hubspot
    existing = LeadsApi().create(email="known@example.jp", company="旧社名")
    contact_id = fake.add_contact(email="KNOWN@example.jp", company="新社名")

    result = apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch)

    assert result.lead_id == existing["id"]
    lead = repository.get("acme", existing["id"])
    assert lead.external_ids == {"hubspot": contact_id}
    assert lead.data.company == "新社名"  # provider events update, as upsert does
    assert lead.data.source is None  # the provider is the source of new leads only


def test_an_email_owned_by_another_lead_is_not_moved_and_is_recorded(hubspot, invoke):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="mine@example.jp")
    linked = apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch).lead_id
    other = LeadsApi().create(email="taken@example.jp")
    fake.update_contact(contact_id, email="taken@example.jp", company="株式会社")

    result = apply_event(hubspot_event(2, contact_id, at=T0 + timedelta(minutes=1)), fetch)

    assert (result.status, result.lead_id) == ("applied", linked)
    assert other["id"] in result.reason
    lead = repository.get("acme", linked)
    assert (lead.data.email, lead.data.company) == ("mine@example.jp", "株式会社")
    assert repository.find_by_identity("acme", email="taken@example.jp") == {"email": other["id"]}
    merge = inquiries(linked)[-1].record()["merge"]
    assert merge["conflicts"] == {"email": other["id"]}


def test_an_older_change_is_stale_and_overwrites_nothing(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="a@example.jp", company="最新")
    newer = apply_event(hubspot_event(2, contact_id, at=T0 + timedelta(minutes=5)), fetch)
    fake.update_contact(contact_id, company="古い値")  # what an old event's fetch would now see, for the test

    older = apply_event(hubspot_event(1, contact_id, at=T0), fetch)

    assert (older.status, older.lead_id) == ("stale", newer.lead_id)
    lead = repository.get("acme", newer.lead_id)
    assert lead.data.company == "最新"
    assert lead.external_updated_at == {"hubspot": "2026-11-30T09:05:00.000+00:00"}
    stale = inquiries(newer.lead_id)[-1].record()
    assert stale["merge"]["policy"] == "stale"
    assert "古い値" in str(stale["payload"])
    assert ledger.get("conn-hs", "1").status == "stale"


def test_a_deleted_contact_unlinks_the_lead_which_keeps_its_data(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="gone@example.jp", firstname="消")
    lead_id = apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch).lead_id
    fake.delete_contact(contact_id)

    result = apply_event(hubspot_event(2, contact_id, "contact.deletion", T0 + timedelta(minutes=1)), fetch)

    assert (result.status, result.lead_id) == ("applied", lead_id)
    lead = repository.get("acme", lead_id)
    assert lead.external_ids == {}
    assert (lead.data.email, lead.data.first_name) == ("gone@example.jp", "消")
    assert repository.find_by_identity("acme", external=("hubspot", contact_id)) == {}
    assert inquiries(lead_id)[-1].record()["merge"] == {"policy": "unlink", "external_ids": {"hubspot": contact_id}}
    # A deletion nobody is linked to is acknowledged and ignored.
    again = apply_event(hubspot_event(3, contact_id, "contact.deletion", T0 + timedelta(minutes=2)), fetch)
    assert again.status == "ignored"


def test_the_same_event_twice_is_a_duplicate_and_changes_nothing(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="once@example.jp")
    event = hubspot_event(1, contact_id, "contact.creation")
    first = apply_event(event, fetch)
    before = repository.get("acme", first.lead_id)

    second = apply_event(event, fetch)

    assert (second.status, second.lead_id) == ("duplicate", first.lead_id)
    after = repository.get("acme", first.lead_id)
    assert (after.version, after.inquiry_count) == (before.version, 1)
    assert len(fake.requests_to(contact_path(contact_id))) == 1  # not even fetched again
    record = ledger.get("conn-hs", "1")
    assert (record.status, record.lead_id, record.duplicates) == ("applied", first.lead_id, 1)


def test_the_same_event_id_on_another_connection_is_applied(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="two@example.jp")
    apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch)
    other = hubspot_event(1, contact_id, "contact.creation").model_copy(update={"connection_id": "conn-other"})
    assert apply_event(other, fetch).status == "applied"


def test_500_twice_then_success_is_applied_once(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="flaky@example.jp")
    fake.fail(contact_path(contact_id), 500, times=2)

    result = apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch)

    assert result.status == "applied"
    assert len(fake.requests_to(contact_path(contact_id))) == 3
    assert repository.get("acme", result.lead_id).inquiry_count == 1


def test_a_transient_failure_raises_and_the_redelivery_applies_it(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="later@example.jp")
    fake.fail(contact_path(contact_id), 503, times=3)
    event = hubspot_event(1, contact_id, "contact.creation")

    with pytest.raises(TransientError):
        apply_event(event, fetch)
    record = ledger.get("conn-hs", "1")
    assert (record.status, record.attempts) == ("retrying", 1)
    assert "503" in record.error

    result = apply_event(event, fetch)  # SQS redelivers it
    assert result.status == "applied"
    assert ledger.get("conn-hs", "1").attempts == 2


def test_an_unknown_contact_is_a_permanent_failure(hubspot):
    _fake, fetch = hubspot
    result = apply_event(hubspot_event(1, 424242, "contact.creation"), fetch)
    assert result.status == "failed"
    assert "not found" in result.reason
    record = ledger.get("conn-hs", "1")
    assert (record.status, record.error) == ("failed", result.reason)
    assert apply_event(hubspot_event(1, 424242, "contact.creation"), fetch).status == "duplicate"


def test_invalid_contact_data_is_a_permanent_failure(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="not-an-email")
    result = apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch)
    assert result.status == "failed"
    assert result.reason.startswith("VALIDATION_FAILED")


def test_other_event_types_are_ignored(hubspot):
    _fake, fetch = hubspot
    result = apply_event(hubspot_event(1, 1, "contact.associationChange"), fetch)
    assert result.status == "ignored"
    assert ledger.get("conn-hs", "1").status == "ignored"


def test_dynamodb_throttling_is_transient(hubspot, monkeypatch):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="busy@example.jp")

    def throttled(*_args, **_kwargs):
        raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "TransactWriteItems")

    monkeypatch.setattr(apply_module, "take_in", throttled)
    with pytest.raises(TransientError, match="ProvisionedThroughputExceeded"):
        apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch)
    assert ledger.get("conn-hs", "1").status == "retrying"


def test_a_crash_after_claiming_loses_nothing_once_the_lease_runs_out(hubspot, monkeypatch):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="crash@example.jp")
    event = hubspot_event(1, contact_id, "contact.creation")
    ledger.claim(event, now=datetime.now(UTC) - timedelta(minutes=10), lease_seconds=60)  # a worker that died

    result = apply_event(event, fetch)

    assert result.status == "applied"
    assert ledger.get("conn-hs", "1").attempts == 2


def test_an_event_leased_to_a_live_worker_is_retried_later(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="busy@example.jp")
    event = hubspot_event(1, contact_id, "contact.creation")
    ledger.claim(event, now=datetime.now(UTC), lease_seconds=300)

    with pytest.raises(TransientError, match="another worker"):
        apply_event(event, fetch)
    assert fake.requests_to(contact_path(contact_id)) == []


def test_events_are_listed_by_query_in_pages(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="list@example.jp")
    for event_id in (1, 2, 3):
        apply_event(hubspot_event(event_id, contact_id, at=T0 + timedelta(seconds=event_id)), fetch)

    page, start = ledger.list_events("conn-hs", limit=2)
    rest, end = ledger.list_events("conn-hs", limit=2, start=start)

    assert [r.event_id for r in page + rest] == ["1", "2", "3"]
    assert end is None
    assert {r.status for r in page + rest} == {"applied"}
    assert page[0].record()["event_type"] == "contact.propertyChange"


def test_events_expire_48_hours_after_their_last_change(hubspot):
    fake, fetch = hubspot
    contact_id = fake.add_contact(email="ttl@example.jp")
    apply_event(hubspot_event(1, contact_id, "contact.creation"), fetch)
    table = get_settings().webhook_events_table
    item = boto3.client("dynamodb").get_item(
        TableName=table, Key={"connection_id": {"S": "conn-hs"}, "event_id": {"S": "1"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) - datetime.now(UTC).timestamp() == pytest.approx(48 * 3600, abs=60)
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName=table)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


# ------------------------------------------------------------------ Intercom and Standard Webhooks


def intercom_notification(notification_id, topic, contact, created_at=T0):
    body = {
        "type": "notification_event",
        "id": notification_id,
        "topic": topic,
        "app_id": "abc123",
        "created_at": int(created_at.timestamp()),
        "data": {"type": "notification_event_data", "item": contact},
    }
    (event,) = split_intercom(body, connection_id="conn-ic", tenant_id="acme")
    return event


def test_intercom_contacts_are_upserted_and_older_updates_are_stale(aws):
    contact = {"type": "contact", "id": "6762f0dd", "role": "user", "email": "jane@example.com", "name": "Jane Doe"}
    created = apply_event(
        intercom_notification("notif_1", "contact.user.created", {**contact, "updated_at": 1_764_493_300})
    )
    assert created.status == "applied"
    lead = repository.get("acme", created.lead_id)
    assert (lead.external_ids, lead.data.first_name, lead.data.last_name) == ({"intercom": "6762f0dd"}, "Jane", "Doe")

    older = {**contact, "name": "Old Name", "updated_at": 1_764_493_200}
    assert apply_event(intercom_notification("notif_2", "contact.user.updated", older)).status == "stale"
    assert repository.get("acme", created.lead_id).data.first_name == "Jane"

    newer = {**contact, "role": "lead", "phone": "+81 90 1111 2222", "updated_at": 1_764_493_400}
    assert apply_event(intercom_notification("notif_3", "contact.lead.updated", newer)).lead_id == created.lead_id
    assert repository.get("acme", created.lead_id).phone_e164 == "+819011112222"

    assert apply_event(intercom_notification("notif_4", "conversation.user.created", contact)).status == "ignored"


def test_standard_lead_events_are_upserted(aws):
    body = {
        "type": "lead.created",
        "timestamp": "2026-11-30T09:00:00Z",
        "data": {"email": "s@example.jp", "first_name": "標"},
    }
    (event,) = split_standard("msg_1", body, connection_id="conn-std", tenant_id="acme")

    result = apply_event(event)

    assert result.status == "applied"
    lead = repository.get("acme", result.lead_id)
    assert (lead.data.first_name, lead.data.source, lead.external_ids) == ("標", "standard", {})


def test_a_standard_event_without_email_or_phone_fails(aws):
    body = {"type": "lead.created", "data": {"first_name": "名無し"}}
    (event,) = split_standard("msg_2", body, connection_id="conn-std", tenant_id="acme")
    result = apply_event(event)
    assert result.status == "failed"
    assert "email" in result.reason


@pytest.mark.parametrize(
    ("refusal", "retried"),
    [
        (errors.Conflict("The lead is being changed by many requests at once; retry shortly.", retry_after=1), True),
        (errors.Unavailable(5), True),
        (errors.AmbiguousDuplicate({"email": "L1", "phone": "L2"}), False),
        (errors.ValidationFailed(errors={"email": ["Bad."]}), False),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, Exception) else str(value),
)
def test_retry_or_record_follows_the_type_of_the_domain_error(aws, monkeypatch, refusal, retried):
    def refuse(*_args, **_kwargs):
        raise refusal

    monkeypatch.setattr(apply_module, "take_in", refuse)
    body = {"type": "lead.created", "data": {"email": "r@example.jp"}}
    (event,) = split_standard("msg_3", body, connection_id="conn-std", tenant_id="acme")

    if retried:
        with pytest.raises(TransientError):
            apply_event(event)
        assert ledger.get("conn-std", "msg_3").status == "retrying"
    else:
        result = apply_event(event)
        assert (result.status, result.reason.split(":")[0]) == ("failed", refusal.code)
