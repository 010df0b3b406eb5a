"""Events on the local stack: DynamoDB Local's stream records, polled as Lambda's event source mapping would, run
the event stream function; a create shows `lead.created` at `GET /api/v1/events` within 2 s, a PATCH
`lead.updated` with its changes, and an integrator reading oldest first from its cursor sees each once, in order."""

from __future__ import annotations

import time

import pytest
import requests

pytestmark = pytest.mark.e2e


def wait_for(read, predicate, timeout: float = 2.0):
    deadline = time.monotonic() + timeout
    while True:
        answer = read()
        if predicate(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.1)


def test_changes_appear_as_events_over_http(local_stack):
    client = local_stack.admin_json(
        "clients", "create", "--tenant", "events-http", "--scopes", "read:events", "write:leads", "read:leads"
    )
    headers = {"Authorization": f"Bearer {local_stack.token(client)}"}

    def events(**query):
        reply = requests.get(local_stack.url("/api/v1/events"), headers=headers, params=query, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply.json()

    created = requests.post(
        local_stack.url("/api/v1/leads"), headers=headers, json={"first_name": "Hana", "status": "new"}, timeout=10
    )
    assert created.status_code == 201, created.text
    lead_id = created.json()["data"]["id"]
    started = time.monotonic()
    seen = wait_for(events, lambda page: any(e["type"] == "lead.created" for e in page["data"]))
    assert time.monotonic() - started <= 2.5
    (event,) = seen["data"]
    assert event["lead_id"] == lead_id and event["actor"] == f"client:{client['client_id']}"
    assert event["data"]["first_name"] == "Hana"

    patched = requests.patch(
        local_stack.url(f"/api/v1/leads/{lead_id}"), headers=headers, json={"status": "contacted"}, timeout=10
    )
    assert patched.status_code == 200, patched.text
    seen = wait_for(lambda: events(type="lead.updated"), lambda page: bool(page["data"]))
    (updated,) = seen["data"]
    assert updated["changed_fields"] == ["status"] and updated["previous"] == {"status": "new"}
    assert updated["sequence"] == 2

    # An integrator, oldest first: once each, in order, with a cursor to keep (events settle for 5 s).
    time.sleep(5.5)
    first = events(order="oldest", per_page=1)
    cursor = first["links"]["next"].split("cursor=")[1].split("&")[0]
    second = requests.get(
        f"{local_stack.url('/api/v1/events')}?order=oldest&per_page=1&cursor={cursor}", headers=headers, timeout=10
    ).json()
    assert [e["type"] for e in first["data"] + second["data"]] == ["lead.created", "lead.updated"]
