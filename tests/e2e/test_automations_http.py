"""Automations on the local stack: the runner polled from DynamoDB Local's events stream and the automations
queue as Lambda's event sources would. A partner lead created over HTTP is tagged, waits 1 s, then a signed
webhook reaches a loopback receiver; another lead is left alone; the runs show at the API and the CLI."""

from __future__ import annotations

import time

import pytest
import requests
from standardwebhooks import Webhook

from tests.support.outbound import Receiver

pytestmark = pytest.mark.e2e


def test_a_partner_lead_is_tagged_then_announced_by_a_signed_webhook(local_stack):
    client = local_stack.admin_json(
        "clients",
        "create",
        "--tenant",
        "automations-http",
        "--scopes",
        "read:automations",
        "write:automations",
        "write:leads",
        "read:leads",
        "write:tags",
    )
    headers = {"Authorization": f"Bearer {local_stack.token(client)}"}
    tagged = requests.post(local_stack.url("/api/v1/tags"), headers=headers, json={"name": "partner"}, timeout=10)
    assert tagged.status_code in (200, 201), tagged.text
    with Receiver() as receiver:
        body = {
            "name": "Partner leads",
            "trigger": {"type": "lead.created"},
            "conditions": {"rules": [{"field": "source", "operator": "equals", "value": "partner"}]},
            "actions": [
                {"type": "add_tag", "tag": "partner"},
                {"type": "wait", "seconds": 1},
                {"type": "send_webhook", "url": receiver.url},
            ],
        }
        created = requests.post(local_stack.url("/api/v1/automations"), headers=headers, json=body, timeout=10)
        assert created.status_code == 201, created.text
        automation = created.json()["data"]
        started = time.time()
        partner = requests.post(
            local_stack.url("/api/v1/leads"),
            headers=headers,
            json={"first_name": "Aoi", "source": "partner"},
            timeout=10,
        ).json()["data"]
        other = requests.post(
            local_stack.url("/api/v1/leads"), headers=headers, json={"first_name": "Ren", "source": "web"}, timeout=10
        ).json()["data"]
        deadline = time.monotonic() + 20
        while not receiver.received and time.monotonic() < deadline:
            time.sleep(0.1)
        (got,) = receiver.received
        latency = got.at - started
        print(f"create -> webhook (1 s wait included): {latency:.2f} s")
    payload = Webhook(automation["secret"]).verify(got.body, got.headers)
    assert payload["data"]["id"] == partner["id"] and "partner" in payload["data"]["tags"]

    def lead(lead_id):
        return requests.get(local_stack.url(f"/api/v1/leads/{lead_id}"), headers=headers, timeout=10).json()["data"]

    assert lead(partner["id"])["tags"] == ["partner"] and lead(other["id"])["tags"] == []
    runs = requests.get(local_stack.url(f"/api/v1/automations/{automation['id']}/runs"), headers=headers, timeout=10)
    (run,) = runs.json()["data"]
    assert run["status"] == "succeeded" and [step["outcome"] for step in run["actions"]] == ["done", "waiting", "done"]
    listed = local_stack.admin_json("automations", "runs", str(automation["id"]), "--tenant", "automations-http")
    assert [found["event_id"] for found in listed] == [run["event_id"]]
