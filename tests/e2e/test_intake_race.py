# ruff: noqa: RUF001  (full-width spellings are the inputs under test)
"""Concurrent intakes over HTTP on the local stack (DynamoDB Local): one person is one lead, every round."""

import itertools
import random
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

pytestmark = pytest.mark.e2e

THREADS = 32
ROUNDS = 12

EMAILS = ["{n}@example.jp", " {n}@EXAMPLE.JP", "{N}@Example.jp ", "{n}＠ｅｘａｍｐｌｅ．ｊｐ"]
PHONES = ["090-{d}-5678", "０９０ー{w}ー５６７８", "+81 90 {d} 5678", "81-90-{d}-5678", "090{d}5678", None]
FULL_WIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


def intake_client(local_stack, tenant):
    """A write-only client of its own tenant, in the partner tier (its throttle admits 32 at once)."""
    client = local_stack.admin_json(
        "clients", "create", "--tenant", tenant, "--scopes", "write:leads", "read:leads", "--tier", "partner"
    )
    local_stack.admin_json("clients", "set-limits", client["client_id"], "--hourly", "100000")
    return {"Authorization": f"Bearer {local_stack.token(client)}"}


def spellings(person):
    name, digits = f"race.{person}", f"{1000 + person:04d}"
    pairs = itertools.cycle(itertools.product(EMAILS, PHONES))
    bodies = []
    for _, (email, phone) in zip(range(THREADS), pairs, strict=False):
        body = {"email": email.format(n=name, N=name.upper()), "first_name": "太郎", "last_name": "山田"}
        if phone:
            body["phone"] = phone.format(d=digits, w=digits.translate(FULL_WIDTH))
        bodies.append(body)
    return bodies


def concurrently(calls):
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_rounds_of_concurrent_intakes_give_one_lead_each(local_stack):
    tenant = f"race-{random.randrange(10**8)}"
    headers = intake_client(local_stack, tenant)
    url = local_stack.url(f"/api/inbound/leads?tenant={tenant}")

    for person in range(ROUNDS):
        calls = [
            lambda body=body: requests.post(url, json=body, headers=headers, timeout=60) for body in spellings(person)
        ]
        responses = concurrently(calls)

        statuses = sorted(response.status_code for response in responses)
        assert statuses == [200] * (THREADS - 1) + [201], [r.text for r in responses if r.status_code >= 300]
        (lead_id,) = {response.json()["lead_id"] for response in responses}
        lead = requests.get(local_stack.url(f"/api/v1/leads/{lead_id}"), headers=headers, timeout=10).json()["data"]
        assert lead["inquiry_count"] == THREADS
        assert lead["phone_e164"] == f"+8190{1000 + person:04d}5678"
        inquiries = requests.get(
            local_stack.url(f"/api/v1/leads/{lead_id}/inquiries?per_page=100"), headers=headers, timeout=10
        ).json()
        assert len(inquiries["data"]) == THREADS
        found = requests.get(
            local_stack.url("/api/v1/leads/lookup"),
            params={"email": f"RACE.{person}@example.jp"},
            headers=headers,
            timeout=10,
        )
        assert found.json()["data"]["id"] == lead_id


def test_concurrent_retries_with_one_idempotency_key_land_once(local_stack):
    tenant = f"retry-{random.randrange(10**8)}"
    headers = {**intake_client(local_stack, tenant), "Idempotency-Key": "retry-storm-1"}
    url = local_stack.url(f"/api/inbound/leads?tenant={tenant}")
    body = {"email": "storm@example.jp", "first_name": "嵐"}

    responses = concurrently([lambda: requests.post(url, json=body, headers=headers, timeout=60)] * 16)

    statuses = [response.status_code for response in responses]
    assert statuses.count(201) >= 1
    assert set(statuses) <= {201, 409}
    for response in responses:
        if response.status_code == 409:
            assert response.json()["code"] == "IDEMPOTENCY_IN_PROGRESS"
            assert response.headers["Retry-After"]
        else:
            assert response.json()["is_duplicate"] is False
    replay = requests.post(url, json=body, headers=headers, timeout=10)
    assert (replay.status_code, replay.headers["Idempotent-Replayed"]) == (201, "true")
    lead_id = replay.json()["lead_id"]
    lead = requests.get(local_stack.url(f"/api/v1/leads/{lead_id}"), headers=headers, timeout=10).json()["data"]
    assert lead["inquiry_count"] == 1
