"""POST /oauth2/token protection: limits per address and per (client id, address), failed secrets counted
apart, lockout and recovery, and no lockout of the right secret from elsewhere. The pool's token endpoint is the
local Cognito stand-in; a refused request must never reach it."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from leadgate.aws import reset_clients
from leadgate.settings import Settings
from leadgate_admin.clients import create_client
from leadgate_dev.bench.metering import metered_dynamodb
from leadgate_dev.harness import handle
from leadgate_dev.harness.events import rest_event
from leadgate_dev.harness.functions import load_function

SETTINGS = Settings.from_environment({})  # the defaults
WINDOW = SETTINGS.token_window_seconds
WINDOW_START = 1_800_000_000 - 1_800_000_000 % WINDOW
FAILURES_PER_CLIENT = SETTINGS.token_failures_per_client
REQUESTS_PER_CLIENT = SETTINGS.token_requests_per_client


@pytest.fixture(autouse=True)
def into_a_window(clock):
    clock.now = WINDOW_START + 60.0


@pytest.fixture
def acme(cognito_token_endpoint):
    return create_client("acme", ["read:leads"], "Acme CRM")


def ask(client_id: str, secret: str, source_ip: str = "198.51.100.7"):
    credentials = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    event = rest_event(
        "POST",
        "/oauth2/token",
        headers={"Authorization": f"Basic {credentials}", "Content-Type": "application/x-www-form-urlencoded"},
        body=urlencode({"grant_type": "client_credentials"}),
        source_ip=source_ip,
    )
    # Each request is its own invocation, with the function's whole time budget.
    response = handle("token", event, budget_ms=10_000)
    headers = {name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()}
    headers.update(response.get("headers") or {})
    return response["statusCode"], headers, json.loads(response["body"])


def test_failed_secrets_lock_the_failing_address_out_before_its_secret_is_checked(acme, cognito_token_endpoint, clock):
    for _ in range(FAILURES_PER_CLIENT):
        assert ask(acme["client_id"], "wrong")[0] == 401
    reached = len(cognito_token_endpoint)

    status, headers, body = ask(acme["client_id"], acme["client_secret"])

    assert status == 429
    assert body == {
        "error": "slow_down",
        "error_description": f"Too many failed authentications; retry after {WINDOW - 60} seconds.",
    }
    assert headers["Retry-After"] == str(WINDOW - 60)
    assert headers["Cache-Control"] == "no-store"
    assert len(cognito_token_endpoint) == reached  # the right secret was not even looked at


def test_wrong_secrets_never_lock_the_right_secret_out_from_another_address(acme, cognito_token_endpoint, clock):
    """Client ids are not secret: five wrong secrets used to lock the partner out for 15 minutes."""
    for attacker in range(4):  # several addresses, each at the pair's limit
        for _ in range(FAILURES_PER_CLIENT):
            assert ask(acme["client_id"], "wrong", source_ip=f"203.0.113.{attacker}")[0] == 401
    assert ask(acme["client_id"], "wrong", source_ip="203.0.113.0")[0] == 429

    status, _, body = ask(acme["client_id"], acme["client_secret"], source_ip="192.0.2.10")

    assert status == 200
    assert body["access_token"]


def test_a_locked_out_client_recovers_when_the_window_ends(acme, clock):
    for _ in range(FAILURES_PER_CLIENT):
        ask(acme["client_id"], "wrong")
    clock.now = WINDOW_START + WINDOW - 0.5
    assert ask(acme["client_id"], acme["client_secret"])[1]["Retry-After"] == "1"

    clock.now = WINDOW_START + WINDOW

    status, _, body = ask(acme["client_id"], acme["client_secret"])
    assert status == 200
    assert body["access_token"]


def test_an_unknown_client_id_counts_as_a_failure(cognito_token_endpoint, clock):
    for _ in range(FAILURES_PER_CLIENT):
        assert ask("no-such-client", "guess")[0] == 401

    assert ask("no-such-client", "guess")[0] == 429
    assert cognito_token_endpoint == []  # unknown to the registry: Cognito was never asked


def test_one_address_guessing_many_clients_is_stopped(acme, cognito_token_endpoint, clock, monkeypatch):
    monkeypatch.setenv("TOKEN_FAILURES_PER_IP", "6")  # above the 5 per client, to see the address's own limit
    reset_clients()
    for index in range(6):
        assert ask(f"guess-{index}", "guess", source_ip="203.0.113.9")[0] == 401

    status, headers, body = ask(acme["client_id"], acme["client_secret"], source_ip="203.0.113.9")
    assert (status, body["error"]) == (429, "slow_down")
    assert int(headers["Retry-After"]) > 0
    # The same client from its own address is fine: the lockout is the guessing address's.
    assert ask(acme["client_id"], acme["client_secret"], source_ip="192.0.2.1")[0] == 200


def test_failures_of_one_client_do_not_lock_out_another(acme, clock):
    for _ in range(FAILURES_PER_CLIENT):
        ask("someone-else", "wrong", source_ip="192.0.2.50")

    assert ask(acme["client_id"], acme["client_secret"], source_ip="192.0.2.51")[0] == 200


def test_a_client_asking_too_often_is_limited_too(acme, cognito_token_endpoint, clock):
    statuses = [ask(acme["client_id"], acme["client_secret"])[0] for _ in range(REQUESTS_PER_CLIENT + 1)]

    assert statuses == [200] * REQUESTS_PER_CLIENT + [429]
    assert len(cognito_token_endpoint) == REQUESTS_PER_CLIENT
    _, _, body = ask(acme["client_id"], acme["client_secret"])
    assert body["error_description"].startswith("Too many token requests")


def test_the_guard_costs_one_update_per_subject_and_two_more_on_a_failure(acme, clock):
    load_function("token")
    with metered_dynamodb() as granted:
        ask(acme["client_id"], acme["client_secret"])
    with metered_dynamodb() as refused:
        ask(acme["client_id"], "wrong")

    assert granted.calls["UpdateItem"] == 2
    assert refused.calls["UpdateItem"] == 4


def test_malformed_requests_are_refused_without_counting(aws, clock):
    event = rest_event(
        "POST", "/oauth2/token", headers={"Content-Type": "text/plain"}, body="x", source_ip="198.51.100.7"
    )
    load_function("token")
    with metered_dynamodb() as meter:
        response = handle("token", event)

    assert response["statusCode"] == 400
    assert meter.total_calls == 0
