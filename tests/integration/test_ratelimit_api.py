"""Per-client rate limits through the handlers: counting, 429s, headers, rollover, configuration, usage."""

from __future__ import annotations

import json

import pytest

from leadgate import ratelimit
from leadgate_dev.bench.metering import metered_dynamodb
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event
from tests.support.samples import sample_event

HOUR_START = 1_800_000_000 - 1_800_000_000 % 3600  # an hour boundary
TWO_WINDOWS = json.dumps([{"limit": 3, "window": 60}, {"limit": 5, "window": 3600}])


@pytest.fixture(autouse=True)
def into_an_hour(clock):
    """The counters' time: 100 s into an hour (and into its second minute)."""
    clock.now = HOUR_START + 100.0


def usage_event(client_id="client-acme", rate_policies="[]", tenant="acme", tier="standard"):
    return rest_event(
        "GET",
        "/api/v1/usage",
        authorizer=caller_context(tenant=tenant, client_id=client_id, rate_policies=rate_policies, tier=tier),
    )


def limited(limit: int, window: int = 3600) -> str:
    return json.dumps([{"limit": limit, "window": window}])


def test_an_authenticated_response_carries_the_usage_headers(aws, invoke, clock):
    status, headers, _ = invoke("usage", sample_event("usage", "ok"))

    assert status == 200
    assert headers["X-RateLimit-Limit"] == "1000"
    assert headers["X-RateLimit-Remaining"] == "999"
    assert headers["X-RateLimit-Reset"] == str(HOUR_START + 3600)
    assert headers["RateLimit-Policy"] == '"hourly";q=1000;w=3600'
    assert headers["RateLimit"] == '"hourly";r=999;t=3500'
    assert "Retry-After" not in headers


def test_every_request_counts_once(aws, invoke, clock):
    remaining = [invoke("usage", usage_event())[1]["X-RateLimit-Remaining"] for _ in range(4)]

    assert remaining == ["999", "998", "997", "996"]


def test_over_the_limit_answers_429_in_the_envelope_without_running_the_route(aws, invoke, clock):
    for _ in range(2):
        assert invoke("usage", usage_event(rate_policies=limited(2)))[0] == 200

    with metered_dynamodb() as meter:
        status, headers, body = invoke("usage", usage_event(rate_policies=limited(2)))

    assert status == 429
    assert body == {
        "status": "error",
        "message": "Rate limit exceeded: 2 requests per 3600 seconds. Retry after 3500 seconds.",
        "code": "RATE_LIMITED",
        "errors": {},
    }
    assert headers["Retry-After"] == "3500"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Reset"] == str(HOUR_START + 3600)
    assert headers["X-Request-Id"]
    assert "BatchGetItem" not in meter.calls  # the usage route (its only read) never ran


def test_an_exhausted_window_is_refused_without_calling_dynamodb(aws, invoke, clock):
    invoke("usage", usage_event(rate_policies=limited(1)))

    with metered_dynamodb() as meter:
        statuses = [invoke("usage", usage_event(rate_policies=limited(1)))[0] for _ in range(5)]

    assert statuses == [429] * 5
    assert meter.total_calls == 0


def test_the_window_rolls_over_at_its_boundary(aws, invoke, clock):
    policies = limited(2, window=60)
    assert [invoke("usage", usage_event(rate_policies=policies))[0] for _ in range(3)] == [200, 200, 429]

    clock.now = HOUR_START + 119.9  # last moment of the same minute
    status, headers, _ = invoke("usage", usage_event(rate_policies=policies))
    assert (status, headers["Retry-After"]) == (429, "1")

    clock.now = HOUR_START + 120.0  # the next minute
    status, headers, _ = invoke("usage", usage_event(rate_policies=policies))
    assert status == 200
    assert headers["X-RateLimit-Remaining"] == "1"
    assert headers["X-RateLimit-Reset"] == str(HOUR_START + 180)


def test_limits_are_per_client_and_configured_per_client(aws, invoke, clock):
    assert invoke("usage", usage_event("client-small", limited(1)))[0] == 200
    assert invoke("usage", usage_event("client-small", limited(1)))[0] == 429

    status, headers, _ = invoke("usage", usage_event("client-other", limited(50)))

    assert status == 200
    assert (headers["X-RateLimit-Limit"], headers["X-RateLimit-Remaining"]) == ("50", "49")


def test_two_windows_report_the_binding_one_and_both_ietf_fields(aws, invoke, clock):
    for _ in range(2):
        invoke("usage", usage_event(rate_policies=TWO_WINDOWS))

    status, headers, _ = invoke("usage", usage_event(rate_policies=TWO_WINDOWS))

    assert status == 200
    assert headers["X-RateLimit-Limit"] == "3"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Reset"] == str(HOUR_START + 120)
    assert headers["RateLimit-Policy"] == '"minutely";q=3;w=60, "hourly";q=5;w=3600'
    assert headers["RateLimit"] == '"minutely";r=0;t=20, "hourly";r=2;t=3500'


def test_the_long_window_binds_once_the_short_ones_have_reset(aws, invoke, clock):
    statuses = []
    for minute in range(3):
        clock.now = HOUR_START + 60 * (minute + 2)
        statuses.append([invoke("usage", usage_event(rate_policies=TWO_WINDOWS))[0] for _ in range(3)])

    # 3 + 2 allowed by the hour's 5; the third minute starts fresh but the hour is spent.
    assert statuses == [[200, 200, 200], [200, 200, 429], [429, 429, 429]]
    status, headers, _ = invoke("usage", usage_event(rate_policies=TWO_WINDOWS))
    assert status == 429
    assert headers["X-RateLimit-Limit"] == "5"
    assert headers["Retry-After"] == str(3600 - 240)


def test_a_request_the_hour_rejects_costs_the_minute_nothing_that_matters(aws, invoke, clock):
    # Spend the hour (5) over two minutes, then hammer: rejected requests may count in the minute,
    # but the hour stays spent until a boundary where the minute restarts too, so nothing changes.
    for minute, count in ((2, 3), (3, 2)):
        clock.now = HOUR_START + 60 * minute
        for _ in range(count):
            assert invoke("usage", usage_event(rate_policies=TWO_WINDOWS))[0] == 200
    clock.now = HOUR_START + 60 * 4
    assert {invoke("usage", usage_event(rate_policies=TWO_WINDOWS))[0] for _ in range(4)} == {429}

    clock.now = HOUR_START + 3600  # next hour, next minute: both fresh
    status, headers, _ = invoke("usage", usage_event(rate_policies=TWO_WINDOWS))
    assert status == 200
    assert headers["RateLimit"] == '"minutely";r=2;t=60, "hourly";r=4;t=3600'


def test_counting_costs_one_conditional_update_per_window(aws, invoke, clock):
    ratelimit.request_counter()  # built outside the meter, as a warm Lambda instance has it
    with metered_dynamodb() as meter:
        ratelimit.limit_request(caller_context(rate_policies=TWO_WINDOWS))

    assert dict(meter.calls) == {"UpdateItem": 2}
    assert meter.items_written == 2


def test_unknown_routes_and_their_404s_carry_the_headers_too(aws, invoke, clock):
    event = rest_event("GET", "/api/v1/nope", authorizer=caller_context())

    status, headers, body = invoke("usage", event)

    assert (status, body["code"]) == (404, "NOT_FOUND")
    assert headers["X-RateLimit-Remaining"] == "999"


def test_public_routes_are_not_counted(aws, invoke, clock):
    with metered_dynamodb() as meter:
        status, headers, _ = invoke("health", sample_event("health", "ok"))

    assert status == 200
    assert meter.total_calls == 0
    assert not any(name.lower().startswith(("x-ratelimit", "ratelimit")) for name in headers)


def test_a_malformed_policy_in_the_context_falls_back_to_the_default(aws, invoke, clock):
    status, headers, _ = invoke("usage", usage_event(rate_policies="{oops"))

    assert status == 200
    assert headers["X-RateLimit-Limit"] == "1000"


def test_an_unreachable_counter_fails_open(aws, invoke, clock, monkeypatch):
    from leadgate.aws import reset_clients

    monkeypatch.setenv("RATE_LIMIT_TABLE", "no-such-table")
    reset_clients()

    event = rest_event("GET", "/api/v1/nope", authorizer=caller_context())

    status, headers, body = invoke("usage", event)

    assert (status, body["code"]) == (404, "NOT_FOUND")  # served, as if there were no limit
    assert "X-RateLimit-Limit" not in headers
    assert headers["X-Request-Id"]


def test_usage_shows_the_caller_its_own_windows(aws, invoke, clock):
    invoke("usage", usage_event("client-other", TWO_WINDOWS))  # someone else's traffic is not ours
    for _ in range(2):
        invoke("usage", usage_event(rate_policies=TWO_WINDOWS, tier="partner"))

    status, _, body = invoke("usage", usage_event(rate_policies=TWO_WINDOWS, tier="partner"))

    assert status == 200
    assert body["data"] == {
        "client_id": "client-acme",
        "tenant": "acme",
        "tier": "partner",
        "windows": [
            {"name": "minutely", "limit": 3, "window": 60, "used": 3, "remaining": 0, "reset": HOUR_START + 120},
            {"name": "hourly", "limit": 5, "window": 3600, "used": 3, "remaining": 2, "reset": HOUR_START + 3600},
        ],
    }


def test_usage_needs_a_caller(aws, invoke, clock):
    status, headers, body = invoke("usage", rest_event("GET", "/api/v1/usage"))

    assert (status, body["code"]) == (401, "UNAUTHORIZED")
    assert "X-RateLimit-Limit" not in headers
