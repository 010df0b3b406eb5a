"""Erasure over HTTP on the local stack (docs/privacy.md): the person's data is in no item of any local table
afterwards (this test scans them all), the same email then makes a new lead, and the tombstone is listed."""

from __future__ import annotations

import json
import random
import time

import boto3
import pytest
import requests

pytestmark = pytest.mark.e2e

PERSON = {
    "first_name": "Erika",
    "last_name": "Vanderbilt-Kessler",
    "email": "erika.vk@example.jp",
    "phone": "+81 90 5555 0199",
}
MARKETING = {"purpose": "marketing", "status": "granted", "text_version": "v1", "page_url": "https://acme.jp/"}
# Every form the person's data may take, and nothing shorter: the scan reads every table of a stack other tests
# share, where a bare "5555" turns up in a receiver's port.
TRACES = ("erika", "vanderbilt", "kessler", "55550199", "5555 0199", "5555-0199")


def every_item(stack) -> str:
    """Every item of every local table, as one lower-case JSON text."""
    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.description["endpoints"]["dynamodb"],
        region_name=stack.description["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    items = []
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table):
            items += page["Items"]
    return json.dumps(items, ensure_ascii=False).lower()


def journaled(local_stack, headers, lead_id, event_type) -> bool:
    """Waits (up to 10 s) until the journal holds the lead's event of `event_type`."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        page = requests.get(
            local_stack.url("/api/v1/events"), params={"lead_id": lead_id}, headers=headers, timeout=10
        ).json()
        if event_type in [event["type"] for event in page["data"]]:
            return True
        time.sleep(0.2)
    return False


def test_an_erased_person_is_in_no_local_table_and_their_email_makes_a_new_lead(local_stack):
    tenant = f"erase-{random.randrange(10**6, 10**7)}"
    client = local_stack.admin_json(
        "clients", "create", "--tenant", tenant, "--scopes", "write:leads", "read:leads", "erase:leads", "read:events"
    )
    headers = {"Authorization": f"Bearer {local_stack.token(client)}"}
    url = local_stack.url

    created = requests.post(url("/api/v1/leads"), json={**PERSON, "consents": [MARKETING]}, headers=headers, timeout=10)
    assert created.status_code == 201, created.text
    lead_id = created.json()["data"]["id"]
    upserted = requests.post(
        url("/api/v1/leads/upsert"), json={"email": PERSON["email"], "notes": "x"}, headers=headers
    )
    assert upserted.status_code == 200, upserted.text
    assert journaled(local_stack, headers, lead_id, "lead.updated")  # the journal holds the person too
    assert "vanderbilt" in every_item(local_stack)

    erased = requests.post(url(f"/api/v1/leads/{lead_id}/erase"), headers=headers, timeout=30)

    assert erased.status_code == 200, erased.text
    assert erased.json()["data"]["removed"]["inquiries"] == 1
    assert erased.json()["data"]["removed"]["events"] >= 2
    assert journaled(local_stack, headers, lead_id, "lead.erased")  # what the stream still carried is gone too
    stored = every_item(local_stack)
    assert [trace for trace in TRACES if trace in stored] == []
    gone = requests.get(url(f"/api/v1/leads/{lead_id}"), headers=headers, timeout=10)
    assert (gone.status_code, gone.json()["code"]) == (410, "GONE")
    again = requests.post(url("/api/v1/leads/upsert"), json={"email": PERSON["email"]}, headers=headers, timeout=10)
    assert again.status_code == 201, again.text
    assert again.json()["data"]["id"] != lead_id
    listed = requests.get(url("/api/v1/erasures"), headers=headers, timeout=10)
    assert listed.status_code == 200, listed.text
    assert [record["lead_id"] for record in listed.json()["data"]] == [lead_id]
