"""Fair use over HTTP on the local stack: per-client limits and their headers, usage plans (API keys,
throttle, quota) and the token endpoint's lockout."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
import requests
from requests.adapters import HTTPAdapter

from leadgate_dev.local.usage_plans import DIRECTORY_MAX_AGE_SECONDS
from tests.support.stack import request_token

pytestmark = pytest.mark.e2e

RATE_LIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit-Policy",
    "RateLimit",
)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def new_client(local_stack, tenant, *options):
    return local_stack.admin_json("clients", "create", "--tenant", tenant, *options)


def concurrently(count, call):
    barrier = threading.Barrier(count)

    def one(_):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def apigateway(local_stack):
    return boto3.client(
        "apigateway",
        endpoint_url=local_stack.description["endpoints"]["apigateway"],
        region_name=local_stack.description["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


class FromAddress(HTTPAdapter):
    """Connect from another loopback address, so a lockout of that address stays this test's own."""

    def __init__(self, address):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        super().init_poolmanager(*args, **kwargs)


def session_from(address):
    session = requests.Session()
    session.mount("http://", FromAddress(address))
    return session


# ---------------------------------------------------------------- per-client limits and headers


def test_every_authenticated_status_carries_the_usage_headers(local_stack):
    client = new_client(local_stack, "headers", "--tier", "partner")
    local_stack.admin("clients", "set-limits", client["client_id"], "--policy", "6/3600")
    token = local_stack.token(client)
    http = local_stack.session
    leads = local_stack.url("/api/v1/leads")

    created = http.post(leads, headers=bearer(token), json={"first_name": "Hanako", "email": "hanako@example.com"})
    lead_url = f"{leads}/{created.json()['data']['id']}"
    answers = {
        201: created,
        200: http.get(lead_url, headers=bearer(token)),
        204: http.delete(lead_url, headers=bearer(token)),
        404: http.get(lead_url, headers=bearer(token)),
        422: http.post(leads, headers=bearer(token), json={"last_name": "no first name"}),
    }
    for _ in range(2):
        answers[429] = http.get(local_stack.url("/api/v1/usage"), headers=bearer(token))

    remaining = []
    for status, response in answers.items():
        assert response.status_code == status, response.text
        assert all(name in response.headers for name in RATE_LIMIT_HEADERS), (status, dict(response.headers))
        assert response.headers["X-RateLimit-Limit"] == "6"
        assert response.headers["RateLimit-Policy"] == '"hourly";q=6;w=3600'
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == [5, 4, 3, 2, 1, 0]  # the first usage call took the last one, the second was refused
    refused = answers[429]
    assert refused.json()["code"] == "RATE_LIMITED"
    assert 0 < int(refused.headers["Retry-After"]) <= 3600
    assert int(refused.headers["X-RateLimit-Reset"]) == (int(time.time()) // 3600 + 1) * 3600


def test_public_routes_carry_no_usage_headers(local_stack):
    response = local_stack.session.get(local_stack.url("/api/v1/health"))

    assert response.status_code == 200
    assert not any(name in response.headers for name in RATE_LIMIT_HEADERS)


def test_two_l_concurrent_requests_admit_exactly_l(local_stack):
    limit = 30
    client = new_client(local_stack, "racers", "--tier", "partner")  # burst 100: the plan lets 60 through at once
    local_stack.admin("clients", "set-limits", client["client_id"], "--policy", f"{limit}/3600")
    token = local_stack.token(client)
    url = local_stack.url("/api/v1/usage")

    responses = concurrently(2 * limit, lambda: requests.get(url, headers=bearer(token), timeout=30))

    statuses = sorted(response.status_code for response in responses)
    assert statuses == [200] * limit + [429] * limit
    refused = [response.json() for response in responses if response.status_code == 429]
    assert {body["code"] for body in refused} == {"RATE_LIMITED"}
    assert all(body["message"].startswith("Rate limit exceeded") for body in refused)  # ours, not the plan's
    admitted = sorted(int(r.headers["X-RateLimit-Remaining"]) for r in responses if r.status_code == 200)
    assert admitted == list(range(limit))


def test_limits_are_set_per_client_with_the_cli(local_stack):
    client = new_client(local_stack, "chatty", "--tier", "partner")
    changed = local_stack.admin_json("clients", "set-limits", client["client_id"], "--minutely", "3", "--hourly", "50")
    assert changed["rate_policies"] == [{"limit": 3, "window": 60}, {"limit": 50, "window": 3600}]
    other = new_client(local_stack, "quiet", "--tier", "partner")
    url = local_stack.url("/api/v1/usage")
    token, other_token = local_stack.token(client), local_stack.token(other)

    if time.time() % 60 > 55:  # four requests must fall in one minute window
        time.sleep(60 - time.time() % 60)
    statuses = [local_stack.session.get(url, headers=bearer(token)) for _ in range(4)]
    usage = local_stack.session.get(url, headers=bearer(other_token))

    assert [response.status_code for response in statuses] == [200, 200, 200, 429]
    assert statuses[-1].headers["X-RateLimit-Limit"] == "3"
    assert statuses[-1].headers["RateLimit-Policy"] == '"minutely";q=3;w=60, "hourly";q=50;w=3600'
    assert statuses[-1].headers["RateLimit"].startswith('"minutely";r=0;t=')
    assert usage.status_code == 200
    windows = usage.json()["data"]["windows"]
    assert [(window["name"], window["limit"], window["used"]) for window in windows] == [("hourly", 1000, 1)]


def test_bad_limits_are_refused_by_the_cli(local_stack):
    client = new_client(local_stack, "strict", "--tier", "partner")

    result = local_stack.admin(
        "clients", "set-limits", client["client_id"], "--policy", "10/90", "--minutely", "5", check=False
    )

    assert result.returncode == 2
    assert "not a multiple" in result.stderr


# ---------------------------------------------------------------- usage plans


def test_each_client_gets_an_api_key_in_its_tiers_plan(local_stack):
    client = new_client(local_stack, "keyed", "--tier", "partner")
    listed = local_stack.admin_json("clients", "list", "--tenant", "keyed")
    key_id = listed[0]["api_key_id"]
    gateway = apigateway(local_stack)

    plans = gateway.get_usage_plans(keyId=key_id)["items"]
    assert [plan["name"] for plan in plans] == ["local-partner"]
    assert local_stack.session.get(local_stack.url("/api/v1/usage"), headers=bearer(local_stack.token(client))).ok


def test_a_rotated_key_keeps_the_client_served_and_a_disabled_key_is_refused_at_once(local_stack):
    client = new_client(local_stack, "rotating", "--tier", "standard")
    token = local_stack.token(client)
    url = local_stack.url("/api/v1/usage")
    assert local_stack.session.get(url, headers=bearer(token)).status_code == 200

    new_key = local_stack.admin_json("clients", "rotate-key", client["client_id"])["api_key_id"]

    # The cached policy still names the retired key, which stays valid; the fresh one names the new key.
    assert local_stack.session.get(url, headers=bearer(token)).status_code == 200
    time.sleep(local_stack.auth_cache_ttl + 0.5)
    assert local_stack.session.get(url, headers=bearer(token)).status_code == 200
    cached_at = time.monotonic()

    apigateway(local_stack).update_api_key(
        apiKey=new_key, patchOperations=[{"op": "replace", "path": "/enabled", "value": "false"}]
    )
    time.sleep(DIRECTORY_MAX_AGE_SECONDS + 0.2)

    # The authorizer's cached policy still allows the token, but API Gateway refuses the disabled key.
    refused = local_stack.session.get(url, headers=bearer(token))
    assert time.monotonic() - cached_at < local_stack.auth_cache_ttl, "too slow to see the cached policy"
    assert refused.status_code == 403
    assert refused.json()["message"] == "The client has no API key in a usage plan."


def test_the_tiers_throttle_answers_as_api_gateway_does(local_stack):
    client = new_client(local_stack, "burst")  # standard: rate 10/s, burst 20
    token = local_stack.token(client)
    url = local_stack.url("/api/v1/usage")

    started = time.monotonic()
    responses = concurrently(60, lambda: requests.get(url, headers=bearer(token), timeout=30))
    elapsed = time.monotonic() - started

    throttled = [response for response in responses if response.status_code == 429]
    assert len(responses) - len(throttled) <= 20 + 10 * elapsed + 1  # the burst plus what refilled meanwhile
    assert len(throttled) >= 60 - 20 - 10 * elapsed - 1
    body = throttled[0].json()
    assert body == {"status": "error", "message": "Too many requests; slow down.", "code": "RATE_LIMITED", "errors": {}}
    assert throttled[0].headers["Retry-After"] == "1"
    assert "X-RateLimit-Limit" not in throttled[0].headers  # the gateway answered: the function never ran

    time.sleep(1.0)  # ten tokens back
    assert local_stack.session.get(url, headers=bearer(token)).status_code == 200


def test_the_plans_quota_answers_as_api_gateway_does(local_stack):
    gateway = apigateway(local_stack)
    plan = gateway.create_usage_plan(  # a tier of its own, so no other test's key shares the small quota
        name="local-e2e-quota",
        throttle={"rateLimit": 50.0, "burstLimit": 100},
        quota={"limit": 3, "period": "DAY"},
        tags={"leadgate:tier": "e2e-quota"},
    )
    try:
        client = new_client(local_stack, "quota", "--tier", "e2e-quota")
        token = local_stack.token(client)
        url = local_stack.url("/api/v1/usage")

        statuses = [local_stack.session.get(url, headers=bearer(token)) for _ in range(4)]

        assert [response.status_code for response in statuses] == [200, 200, 200, 429]
        assert statuses[-1].json() == {
            "status": "error",
            "message": "The daily request quota of this client is used up.",
            "code": "RATE_LIMITED",
            "errors": {},
        }
    finally:
        for key in gateway.get_usage_plan_keys(usagePlanId=plan["id"])["items"]:
            gateway.delete_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"])
        gateway.delete_usage_plan(usagePlanId=plan["id"])


# ---------------------------------------------------------------- the token endpoint


def test_failed_secrets_lock_the_failing_address_out_and_never_the_right_secret_elsewhere(local_stack):
    client = new_client(local_stack, "locked")
    http = session_from("127.0.0.77")
    wrong = {**client, "client_secret": "not-the-secret"}

    failures = [
        http.post(local_stack.token_url, data={"grant_type": "client_credentials"}, auth=(client["client_id"], "nope"))
        for _ in range(5)
    ]
    locked = http.post(
        local_stack.token_url,
        data={"grant_type": "client_credentials"},
        auth=(client["client_id"], client["client_secret"]),
    )

    assert [response.status_code for response in failures] == [401] * 5
    assert locked.status_code == 429
    assert locked.json()["error"] == "slow_down"
    assert 0 < int(locked.headers["Retry-After"]) <= 900
    # The lockout is that address's (client ids are not secret): from another address the right
    # secret keeps working, and a wrong one is an ordinary 401.
    assert request_token(local_stack.token_url, client).status_code == 200
    assert request_token(local_stack.token_url, wrong).status_code == 401
    assert request_token(local_stack.token_url, local_stack.demo_client).status_code == 200
