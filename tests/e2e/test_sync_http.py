"""Sync on the local stack: a HubSpot connection against the fake HubSpot (in this process, on 127.0.0.1),
`leadgate sync run` in the CLI, the leads over the API, a push with its id stored back, and the local
scheduler firing a schedule by itself."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.fakes.hubspot import CONTACTS, FakeHubSpot

pytestmark = pytest.mark.e2e

SCOPES = ("read:leads", "write:leads", "read:integrations")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def hubspot():
    with FakeHubSpot(rotate_refresh_tokens=True) as fake:
        fake.register_app("app-client", "app-secret", "refresh-0")
        yield fake


def connect(stack, hubspot: FakeHubSpot, tenant: str, *extra: str) -> str:
    created = stack.admin_json(
        "connections", "create", "--tenant", tenant, "--provider", "hubspot", "--portal-id", "62515",
        "--app-id", "1001", "--client-id", "app-client", "--client-secret", "app-secret",
        "--refresh-token", "refresh-0", "--base-url", hubspot.url, *extra,
    )  # fmt: skip
    return created["connection_id"]


def sync_run(stack, connection_id: str) -> dict:
    finished = stack.admin("sync", "run", connection_id)
    return json.loads(finished.stdout)


def leads_by_email(stack, token: str) -> dict[str, dict]:
    answer = requests.get(stack.url("/api/v1/leads"), headers=bearer(token), params={"per_page": 100}, timeout=10)
    assert answer.status_code == 200, answer.text
    return {lead["email"]: lead for lead in answer.json()["data"]}


def test_a_hubspot_connection_syncs_both_ways_over_the_cli_and_the_api(local_stack, hubspot):
    client = local_stack.admin_json("clients", "create", "--tenant", "sync-e2e", "--scopes", *SCOPES)
    token = local_stack.token(client)
    first = hubspot.add_contact(email="taro@example.com", firstname="Taro", lastname="Yamada")
    hubspot.add_contact(email="hanako@example.com", firstname="Hanako", lastname="Sato", phone="03-1234-5678")
    connection_id = connect(local_stack, hubspot, "sync-e2e")

    # 1-2. A run takes the contacts in; they are leads over the API, with their HubSpot ids.
    record = sync_run(local_stack, connection_id)
    assert record["status"] == "succeeded" and record["counts"]["created"] == 2, record
    leads = leads_by_email(local_stack, token)
    assert leads["taro@example.com"]["external_ids"] == {"hubspot": first}
    assert leads["hanako@example.com"]["phone_e164"] == "+81312345678"

    # 3. A change in HubSpot, then a run: the change is there.
    hubspot.update_contact(first, firstname="Jiro")
    record = sync_run(local_stack, connection_id)
    assert record["counts"]["updated"] == 1 and record["counts"]["created"] == 0, record
    assert leads_by_email(local_stack, token)["taro@example.com"]["first_name"] == "Jiro"

    # 4. A lead created over the API is pushed; HubSpot's id comes back onto the lead.
    created = requests.post(
        local_stack.url("/api/v1/leads"),
        headers=bearer(token),
        json={"first_name": "Saburo", "last_name": "Kato", "email": "saburo@example.com"},
        timeout=10,
    )
    assert created.status_code == 201, created.text
    record = sync_run(local_stack, connection_id)
    assert record["status"] == "succeeded" and record["counts"]["pushed"] == 1, record
    (contact,) = [c for c in hubspot.contacts.values() if c["properties"].get("email") == "saburo@example.com"]
    assert contact["properties"]["firstname"] == "Saburo"
    lead = requests.get(local_stack.url(f"/api/v1/leads/{created.json()['data']['id']}"), headers=bearer(token))
    assert lead.json()["data"]["external_ids"] == {"hubspot": contact["id"]}
    assert len(hubspot.requests_to(f"{CONTACTS}/batch/upsert")) == 1  # what came from HubSpot never went back

    # The runs, newest first, over the API and the CLI.
    runs = requests.get(local_stack.url(f"/api/v1/connections/{connection_id}/runs"), headers=bearer(token))
    assert runs.status_code == 200
    assert [run["run_id"] for run in runs.json()["data"]] == [
        run["run_id"] for run in local_stack.admin_json("sync", "runs", connection_id)
    ]
    assert len(runs.json()["data"]) == 3 and runs.json()["data"][0]["run_id"] == record["run_id"]


def test_the_local_scheduler_fires_a_schedule_by_itself(local_stack, hubspot):
    hubspot.add_contact(email="scheduled@example.com", firstname="Shun")
    connection_id = connect(local_stack, hubspot, "sync-sched", "--sync-every", "1m")

    deadline = time.monotonic() + 30
    runs: list = []
    while time.monotonic() < deadline and not [run for run in runs if run["status"] != "running"]:
        time.sleep(0.5)
        runs = local_stack.admin_json("sync", "runs", connection_id)
    assert runs and runs[0]["status"] == "succeeded", (runs, local_stack.log()[-3000:])
    assert runs[0]["counts"]["created"] == 1
    off = local_stack.admin_json("connections", "set-schedule", connection_id, "--off")
    assert off["schedule"] is None
