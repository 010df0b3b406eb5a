"""Integrations over HTTP on the local stack: created with the API (no CLI), a Standard Webhooks integration
receiving a signed webhook through the receiver, a HubSpot integration tested and synced against the fake
HubSpot by `POST .../sync` (the local scheduler fires the one-time schedule), and no answer holding a secret."""

from __future__ import annotations

import json
import random
import time
from datetime import UTC, datetime

import pytest
import requests
from standardwebhooks import Webhook

from tests.fakes.hubspot import FakeHubSpot

pytestmark = pytest.mark.e2e

SCOPES = ("read:leads", "read:integrations", "write:integrations")
WAIT_SECONDS = 60
SECRETS = ("e2e-app-secret", "refresh-e2e")


def eventually(probe, what):
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def test_an_integration_made_over_the_api_receives_webhooks_and_syncs(local_stack):
    tenant = f"integ{random.randrange(10**5, 10**6)}"
    client = local_stack.admin_json("clients", "create", "--tenant", tenant, "--scopes", *SCOPES)
    headers = {"Authorization": f"Bearer {local_stack.token(client)}"}
    answers: list[str] = []

    def api(method: str, path: str, body: dict | None = None, **params) -> requests.Response:
        answer = requests.request(method, local_stack.url(path), headers=headers, json=body, timeout=20, **params)
        answers.append(json.dumps(dict(answer.headers)) + answer.text)
        return answer

    def lookup(email: str):
        answer = api("GET", "/api/v1/leads/lookup", params={"email": email})
        return answer.json()["data"] if answer.status_code == 200 else None

    # A Standard Webhooks integration: its signing secret once, then a signed delivery makes a lead.
    created = api("POST", "/api/v1/integrations", {"provider": "standard"})
    assert created.status_code == 201, created.text
    standard = created.json()["data"]
    signing_secret = standard.pop("signing_secret")
    email = f"std-{tenant}@example.jp"
    payload = json.dumps({"type": "lead.created", "data": {"email": email, "last_name": "山田"}}, ensure_ascii=False)
    now = datetime.now(UTC)
    delivery = requests.post(
        f"{local_stack.base_url}/webhooks/{standard['id']}",
        data=payload.encode(),
        headers={
            "Content-Type": "application/json",
            "webhook-id": "msg_integrations_1",
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(signing_secret).sign("msg_integrations_1", now, payload),
        },
        timeout=10,
    )
    assert delivery.status_code == 202, delivery.text
    assert eventually(lambda: lookup(email), "the webhook's lead")["last_name"] == "山田"

    # A HubSpot integration against the fake: tested, then synced by a run the API starts.
    with FakeHubSpot() as hubspot:
        hubspot.register_app("e2e-client", "e2e-app-secret", "refresh-e2e")
        hubspot.add_contact(email=f"hs-{tenant}@example.com", firstname="Taro", lastname="Yamada")
        unsafe = api(
            "POST",
            "/api/v1/integrations",
            {
                "provider": "hubspot",
                "settings": {"portal_id": "62515", "app_id": "1001"},
                "secrets": {"client_id": "e2e-client", "client_secret": "e2e-app-secret", "refresh_token": "x"},
                "base_url": "http://169.254.169.254",
            },
        )
        assert unsafe.status_code == 422 and "base_url" in unsafe.json()["errors"]
        created = api(
            "POST",
            "/api/v1/integrations",
            {
                "provider": "hubspot",
                "settings": {"portal_id": "62515", "app_id": "1001"},
                "secrets": {
                    "client_id": "e2e-client",
                    "client_secret": "e2e-app-secret",
                    "refresh_token": "refresh-e2e",
                },
                "base_url": hubspot.url,
            },
        )
        assert created.status_code == 201, created.text
        integration = created.json()["data"]
        assert integration["has_refresh_token"] is True

        tested = api("POST", f"/api/v1/integrations/{integration['id']}/test")
        assert tested.status_code == 200 and tested.json()["data"]["ok"] is True, tested.text

        started = api("POST", f"/api/v1/integrations/{integration['id']}/sync")
        assert started.status_code == 202, started.text
        run_id = started.json()["data"]["run_id"]

        def finished():
            runs = api("GET", f"/api/v1/integrations/{integration['id']}/runs").json()["data"]
            return [run for run in runs if run["run_id"] == run_id and run["status"] not in ("queued", "running")]

        (run,) = eventually(finished, "the run the API started")
        assert run["status"] == "succeeded" and run["counts"]["created"] == 1, (run, local_stack.log()[-3000:])
        assert lookup(f"hs-{tenant}@example.com")["first_name"] == "Taro"

    listed = api("GET", "/api/v1/integrations")
    assert {entry["id"] for entry in listed.json()["data"]} == {standard["id"], integration["id"]}
    assert api("GET", "/api/v1/connections").json()["data"] == listed.json()["data"]
    assert signing_secret in answers[0]  # the Standard Webhooks POST answers it, once
    for text in answers[1:]:
        assert signing_secret not in text
    for text in answers:
        for secret in SECRETS:
            assert secret not in text
