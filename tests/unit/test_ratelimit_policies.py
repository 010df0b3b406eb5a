"""Rate-limit policies and the usage header fields, without AWS."""

import json

import pytest

from leadgate.ratelimit import (
    DEFAULT_POLICIES,
    Decision,
    InvalidPolicies,
    Policy,
    WindowUsage,
    parse_policies,
    parse_policy_spec,
    policies_json,
)
from leadgate.ratelimit.headers import rate_limit_headers

HOURLY = Policy(limit=1000, window=3600)
MINUTELY = Policy(limit=60, window=60)


@pytest.mark.parametrize("raw", [None, "", "  ", "[]", []])
def test_no_policies_means_leadhubs_thousand_an_hour(raw):
    assert parse_policies(raw) == DEFAULT_POLICIES == (HOURLY,)


def test_policies_parse_from_the_registry_json_shortest_window_first():
    raw = json.dumps([{"limit": 1000, "window": 3600}, {"limit": 60, "window": 60}])

    assert parse_policies(raw) == (MINUTELY, HOURLY)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("not json", "Malformed"),
        ('{"limit": 1, "window": 1}', "Malformed"),
        ('[{"limit": 0, "window": 60}]', "Malformed"),
        ('[{"limit": 10, "window": 60, "burst": 5}]', "Malformed"),
        ('[{"limit": 10, "window": 60}, {"limit": 20, "window": 60}]', "share the window"),
        ('[{"limit": 10, "window": 60}, {"limit": 100, "window": 90}]', "not a multiple"),
        ('[{"limit": 100, "window": 60}, {"limit": 50, "window": 3600}]', "below"),
        (
            '[{"limit": 1, "window": 1}, {"limit": 60, "window": 60}, {"limit": 600, "window": 600}, '
            '{"limit": 6000, "window": 6000}]',
            "At most",
        ),
    ],
)
def test_malformed_or_inexact_policies_are_refused(raw, reason):
    with pytest.raises(InvalidPolicies, match=reason):
        parse_policies(raw)


def test_policy_specs_as_the_cli_takes_them():
    assert parse_policy_spec("60/60") == MINUTELY
    for bad in ("60", "60/", "a/60", "0/60", "60/-1"):
        with pytest.raises(InvalidPolicies):
            parse_policy_spec(bad)


def test_stored_form_is_compact_json_shortest_first():
    assert policies_json([HOURLY, MINUTELY]) == '[{"limit":60,"window":60},{"limit":1000,"window":3600}]'


def test_windows_are_aligned_to_the_epoch_and_named_for_the_ietf_fields():
    assert HOURLY.window_start(1_711_580_399.9) == 1_711_576_800
    assert (HOURLY.name, MINUTELY.name, Policy(limit=5, window=300).name) == ("hourly", "minutely", "per-300s")


def test_headers_describe_the_binding_window_and_every_policy():
    now = 1_711_578_689.0  # 1711 s before the hour ends, 31 s before the minute ends
    decision = Decision(
        allowed=True,
        windows=(WindowUsage(MINUTELY, 3, 1_711_578_720), WindowUsage(HOURLY, 153, 1_711_580_400)),
        now=now,
    )

    headers = rate_limit_headers(decision, (MINUTELY, HOURLY))

    assert headers == {
        "X-RateLimit-Limit": "60",
        "X-RateLimit-Remaining": "57",
        "X-RateLimit-Reset": "1711578720",
        "RateLimit-Policy": '"minutely";q=60;w=60, "hourly";q=1000;w=3600',
        "RateLimit": '"minutely";r=57;t=31, "hourly";r=847;t=1711',
    }


def test_a_rejection_names_the_rejecting_window_and_when_to_retry():
    decision = Decision(
        allowed=False,
        windows=(WindowUsage(MINUTELY, 12, 1_711_578_720), WindowUsage(HOURLY, 1000, 1_711_580_400)),
        now=1_711_578_689.2,
    )

    headers = rate_limit_headers(decision, (MINUTELY, HOURLY))

    assert headers["X-RateLimit-Limit"] == "1000"
    assert headers["X-RateLimit-Remaining"] == "0"
    assert headers["X-RateLimit-Reset"] == "1711580400"
    assert headers["Retry-After"] == "1711"
