"""The intake endpoints over HTTP on the local stack: contracts, auth, idempotency and dedup as clients see them."""

import random

import pytest
import requests

pytestmark = pytest.mark.e2e

HOTLEAD = {
    "created_at": "2024-04-22T10:00:01+09:00",
    "media_domain": "suumo.jp",
    "profile": {"name": "山田 太郎", "email": "taro@example.jp", "phone": "090-1234-5678", "address": "東京都"},
    "inquiry": {"property": {"id": "B-3301"}, "message": "内見を希望します。"},
}


@pytest.fixture
def tenant(local_stack):
    """A fresh numeric tenant (a HOTLEAD unit id) with a write client and a read-only client."""
    slug = str(random.randrange(10**6, 10**7))
    writer = local_stack.admin_json("clients", "create", "--tenant", slug, "--scopes", "write:leads", "read:leads")
    reader = local_stack.admin_json("clients", "create", "--tenant", slug, "--scopes", "read:leads")
    return {
        "slug": slug,
        "write": {"Authorization": f"Bearer {local_stack.token(writer)}"},
        "read": {"Authorization": f"Bearer {local_stack.token(reader)}"},
    }


def test_a_hotlead_registration_over_http(local_stack, tenant):
    url = local_stack.url("/public/api/leads")
    body = {**HOTLEAD, "unit_id": int(tenant["slug"])}

    first = requests.post(url, json=body, headers=tenant["write"], timeout=10)
    again = requests.post(url, json=body, headers=tenant["write"], timeout=10)

    assert (first.status_code, first.text) == (204, "")
    assert first.headers["Cache-Control"] == "no-store"
    assert first.headers["Pragma"] == "no-cache"
    assert first.headers["Strict-Transport-Security"] == "max-age=10886400; includeSubdomains"
    assert first.headers["X-Content-Type-Options"] == "nosniff"
    assert again.status_code == 204
    found = requests.get(
        local_stack.url("/api/v1/leads/lookup"),
        params={"phone": "+81 90 1234 5678"},
        headers=tenant["read"],
        timeout=10,
    )
    assert found.json()["data"]["inquiry_count"] == 2
    other_unit = requests.post(url, json={**body, "unit_id": 1}, headers=tenant["write"], timeout=10)
    assert (other_unit.status_code, other_unit.json()["code"]) == (403, "FORBIDDEN")


def test_leadhub_inbound_over_http(local_stack, tenant):
    url = local_stack.url(f"/api/inbound/leads?tenant={tenant['slug']}")
    body = {"email": "sarah@example.com", "first_name": "Sarah", "tags": ["newsletter"]}

    created = requests.post(url, json=body, headers=tenant["write"], timeout=10)
    duplicate = requests.post(url, json={**body, "email": "SARAH@example.com"}, headers=tenant["write"], timeout=10)

    assert created.status_code == 201
    assert created.json()["is_duplicate"] is False
    assert duplicate.status_code == 200
    assert duplicate.json() == {
        "status": "duplicate",
        "lead_id": created.json()["lead_id"],
        "is_duplicate": True,
        "matched_on": ["email"],
    }


def test_intake_needs_the_write_scope(local_stack, tenant):
    for path, body in [
        (f"/api/inbound/leads?tenant={tenant['slug']}", {"email": "a@example.com"}),
        ("/public/api/leads", {**HOTLEAD, "unit_id": int(tenant["slug"])}),
        ("/api/v1/leads/upsert", {"email": "a@example.com"}),
        ("/api/v1/leads/batch", {"leads": [{"email": "a@example.com"}]}),
    ]:
        response = requests.post(local_stack.url(path), json=body, headers=tenant["read"], timeout=10)
        assert (response.status_code, response.json()["code"]) == (403, "FORBIDDEN"), path


def test_upsert_and_batch_over_http_with_an_idempotency_key(local_stack, tenant):
    headers = {**tenant["write"], "Idempotency-Key": "batch-0001"}
    leads = [{"email": "a@example.com", "first_name": "A"}, {"email": "A@EXAMPLE.COM", "phone": "090-2222-3333"}]

    first = requests.post(local_stack.url("/api/v1/leads/batch"), json={"leads": leads}, headers=headers, timeout=10)
    replay = requests.post(local_stack.url("/api/v1/leads/batch"), json={"leads": leads}, headers=headers, timeout=10)
    reused = requests.post(
        local_stack.url("/api/v1/leads/batch"), json={"leads": leads[:1]}, headers=headers, timeout=10
    )
    updated = requests.post(
        local_stack.url("/api/v1/leads/upsert"),
        json={"phone": "09022223333", "company": "A社"},
        headers=tenant["write"],
        timeout=10,
    )

    assert first.status_code == 200
    assert [item["status"] for item in first.json()["data"]] == ["created", "matched"]
    assert (replay.json(), replay.headers["Idempotent-Replayed"]) == (first.json(), "true")
    assert (reused.status_code, reused.json()["code"]) == (422, "IDEMPOTENCY_KEY_REUSED")
    assert updated.status_code == 200
    assert updated.json()["data"]["id"] == first.json()["data"][0]["lead_id"]
    assert updated.json()["data"]["company"] == "A社"
    assert updated.json()["data"]["inquiry_count"] == 3


def test_bad_input_over_http_is_a_4xx_envelope(local_stack, tenant):
    url = local_stack.url(f"/api/inbound/leads?tenant={tenant['slug']}")

    oversized = requests.post(url, json={"email": "a@example.com", "notes": "x" * 70_000}, headers=tenant["write"])
    invalid = requests.post(url, json={"email": "a@example.com", "phone": "090 1234 567"}, headers=tenant["write"])
    other_tenant = requests.post(
        local_stack.url("/api/inbound/leads?tenant=someone-else"),
        json={"email": "a@example.com"},
        headers=tenant["write"],
    )

    assert (oversized.status_code, oversized.json()["code"]) == (413, "PAYLOAD_TOO_LARGE")
    assert (invalid.status_code, invalid.json()["errors"]) == (
        422,
        {"phone": ["The phone field must be a valid phone number."]},
    )
    assert (other_tenant.status_code, other_tenant.json()["code"]) == (403, "FORBIDDEN")
