"""Webhooks end to end on the local stack: signed deliveries over HTTP, the worker run by the local SQS
event source against a loopback fake HubSpot, retries, the dead-letter queue, the CLI and a redrive."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime

import pytest
import requests
from standardwebhooks import Webhook

from tests.fakes.hubspot import contact_path
from tests.support.webhooks import hubspot_events, hubspot_signature

pytestmark = pytest.mark.e2e

APP_SECRET = "e2e-hubspot-app-secret"
WAIT_SECONDS = 60


@pytest.fixture
def tenant(local_stack):
    slug = f"hooks{random.randrange(10**5, 10**6)}"
    reader = local_stack.admin_json("clients", "create", "--tenant", slug, "--scopes", "read:leads")
    return {"slug": slug, "read": {"Authorization": f"Bearer {local_stack.token(reader)}"}}


@pytest.fixture
def hubspot(local_stack, tenant, fake_hubspot):
    fake_hubspot.add_private_token("pat-e2e")
    connection = local_stack.admin_json(
        "connections", "create", "--tenant", tenant["slug"], "--provider", "hubspot", "--portal-id", "42",
        "--app-id", "7", "--client-id", "cid", "--client-secret", APP_SECRET, "--access-token", "pat-e2e",
        "--base-url", fake_hubspot.url,
    )  # fmt: skip
    return connection


def deliver(local_stack, connection, *contact_ids, first_event_id=1):
    body = json.dumps(hubspot_events(*map(int, contact_ids), first_event_id=first_event_id)).encode()
    url = local_stack.url(f"/webhooks/{connection['connection_id']}")
    headers = {"Content-Type": "application/json", **hubspot_signature(APP_SECRET, url, body)}
    return requests.post(url, data=body, headers=headers, timeout=10)


def lookup(local_stack, tenant, email):
    answer = requests.get(
        local_stack.url("/api/v1/leads/lookup"), params={"email": email}, headers=tenant["read"], timeout=10
    )
    return answer.json()["data"] if answer.status_code == 200 else None


def eventually(probe, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def inquiries(local_stack, tenant, lead_id):
    answer = requests.get(local_stack.url(f"/api/v1/leads/{lead_id}/inquiries"), headers=tenant["read"], timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]


def events_by_id(local_stack, connection):
    rows = local_stack.admin_json("webhooks", "events", "--connection", connection["connection_id"])
    return {row["event_id"]: row for row in rows}


def test_a_hubspot_delivery_is_applied_once_retried_and_dead_lettered(local_stack, tenant, hubspot, fake_hubspot):
    emails = [f"hs{n}-{tenant['slug']}@example.jp" for n in range(3)]
    contacts = [fake_hubspot.add_contact(email=email, firstname=f"名{n}") for n, email in enumerate(emails)]

    first = deliver(local_stack, hubspot, *contacts)

    assert (first.status_code, first.json()) == (202, {"accepted": 3})
    leads = [eventually(lambda e=email: lookup(local_stack, tenant, e), email) for email in emails]
    assert [lead["external_ids"]["hubspot"] for lead in leads] == contacts
    assert all(len(inquiries(local_stack, tenant, lead["id"])) == 1 for lead in leads)

    # The same delivery again: acknowledged, recognised as duplicates, nothing changes.
    assert deliver(local_stack, hubspot, *contacts).status_code == 202
    eventually(lambda: all(row["duplicates"] == 1 for row in events_by_id(local_stack, hubspot).values()), "dups")
    again = [lookup(local_stack, tenant, email) for email in emails]
    assert [lead["updated_at"] for lead in again] == [lead["updated_at"] for lead in leads]
    assert all(len(inquiries(local_stack, tenant, lead["id"])) == 1 for lead in leads)

    # 500 twice, then the contact: applied once.
    flaky_email = f"flaky-{tenant['slug']}@example.jp"
    flaky = fake_hubspot.add_contact(email=flaky_email)
    fake_hubspot.fail(contact_path(flaky), 500, times=2)
    assert deliver(local_stack, hubspot, flaky, first_event_id=10).status_code == 202
    lead = eventually(lambda: lookup(local_stack, tenant, flaky_email), "the flaky contact's lead")
    assert len(inquiries(local_stack, tenant, lead["id"])) == 1
    assert events_by_id(local_stack, hubspot)["10"]["status"] == "applied"

    # Always 500: retried by SQS until it lands in the dead-letter queue, shown by the CLI.
    broken_email = f"broken-{tenant['slug']}@example.jp"
    broken = fake_hubspot.add_contact(email=broken_email)
    fake_hubspot.fail(contact_path(broken), 500)
    assert deliver(local_stack, hubspot, broken, first_event_id=20).status_code == 202
    cid = hubspot["connection_id"]
    letters = eventually(lambda: local_stack.admin_json("webhooks", "dead-letters", "--connection", cid), "a DLQ")
    assert [(letter["event_id"], letter["connection_id"]) for letter in letters] == [("20", cid)]
    assert events_by_id(local_stack, hubspot)["20"]["status"] == "dead"
    assert lookup(local_stack, tenant, broken_email) is None
    # Peeking did not consume it.
    assert len(local_stack.admin_json("webhooks", "dead-letters", "--connection", cid)) == 1

    # The fake recovers; the redrive applies it.
    fake_hubspot.faults.pop(contact_path(broken))
    assert local_stack.admin_json("webhooks", "redrive", "--connection", cid)["redriven"] == 1
    lead = eventually(lambda: lookup(local_stack, tenant, broken_email), "the redriven lead")
    assert lead["external_ids"]["hubspot"] == broken
    assert local_stack.admin_json("webhooks", "dead-letters", "--connection", cid) == []
    assert events_by_id(local_stack, hubspot)["20"]["status"] == "applied"


def test_refused_deliveries_queue_nothing(local_stack, tenant, hubspot):
    body = json.dumps(hubspot_events(1)).encode()
    url = local_stack.url(f"/webhooks/{hubspot['connection_id']}")
    bad = requests.post(url, data=body, headers=hubspot_signature("wrong", url, body), timeout=10)
    unknown_url = local_stack.url("/webhooks/con_01KB0000000000000000000000")
    unknown = requests.post(
        unknown_url, data=body, headers=hubspot_signature(APP_SECRET, unknown_url, body), timeout=10
    )
    assert bad.status_code == unknown.status_code == 401
    assert bad.json() == unknown.json()
    assert events_by_id(local_stack, hubspot) == {}


def test_a_standard_webhooks_lead_created(local_stack, tenant):
    connection = local_stack.admin_json("connections", "create", "--tenant", tenant["slug"], "--provider", "standard")
    email = f"std-{tenant['slug']}@example.jp"
    payload = json.dumps({"type": "lead.created", "data": {"email": email, "last_name": "山田"}}, ensure_ascii=False)
    now = datetime.now(UTC)
    signature = Webhook(connection["signing_secret"]).sign("msg_e2e_1", now, payload)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": "msg_e2e_1",
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }

    answer = requests.post(connection["webhook_url"], data=payload.encode(), headers=headers, timeout=10)

    assert (answer.status_code, answer.json()) == (202, {"accepted": 1})
    lead = eventually(lambda: lookup(local_stack, tenant, email), "the standard webhook's lead")
    assert lead["last_name"] == "山田"
    assert lead["source"] == "standard"
