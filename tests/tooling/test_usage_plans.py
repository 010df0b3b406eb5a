"""Usage plans and client API keys on moto's API Gateway, and the local stack's enforcement of the plans."""

from __future__ import annotations

from datetime import UTC, datetime

import boto3
import pytest

from leadgate_admin.usage_plans import ApiKeys, UnknownTier, find_usage_plans
from leadgate_dev import template
from leadgate_dev.local.usage_plans import (
    DIRECTORY_MAX_AGE_SECONDS,
    KeyDirectory,
    UsagePlans,
    ensure_usage_plans,
    quota_period_start,
)
from leadgate_dev.template import TemplateRoute
from tests.support.clock import FakeClock

LEADS = TemplateRoute("GET", "/api/v1/leads", "leads", ("read:leads",))
USAGE = TemplateRoute("GET", "/api/v1/usage", "usage", ("read:leads", "write:leads", "delete:leads"))
HEALTH = TemplateRoute("GET", "/api/v1/health", "health", None)
MIDDAY = datetime(2026, 3, 28, 12, 0, tzinfo=UTC).timestamp()  # a Saturday


@pytest.fixture
def apigateway(aws):
    return boto3.client("apigateway")


@pytest.fixture
def keys(apigateway):
    ensure_usage_plans(apigateway, "local")
    return ApiKeys.for_stack(apigateway, "local")


@pytest.fixture
def clock():
    return FakeClock(MIDDAY)


@pytest.fixture
def plans(apigateway, keys, clock):
    return UsagePlans(
        keys=KeyDirectory(apigateway, "local", clock), stage_throttle=template.stage_throttle(), clock=clock
    )


def admit_many(plans, count, route=LEADS, api_key=None):
    return [plans.admit(route=route, api_key=api_key, request_id=f"r{index}") for index in range(count)]


def set_plan(apigateway, plan_id, **values):
    paths = {"quota_limit": "/quota/limit", "rate": "/throttle/rateLimit", "burst": "/throttle/burstLimit"}
    apigateway.update_usage_plan(
        usagePlanId=plan_id,
        patchOperations=[{"op": "replace", "path": paths[name], "value": str(value)} for name, value in values.items()],
    )


# ---------------------------------------------------------------- the plans and the keys


def test_the_templates_tiers_become_usage_plans_once(apigateway):
    first = ensure_usage_plans(apigateway, "local")
    again = ensure_usage_plans(apigateway, "local")

    assert first == again == find_usage_plans(apigateway, "local")
    for spec in template.usage_plans():
        plan = apigateway.get_usage_plan(usagePlanId=first[spec.tier])
        assert plan["name"] == f"local-{spec.tier}"
        assert plan["throttle"] == {"rateLimit": spec.rate_limit, "burstLimit": spec.burst_limit}
        assert plan["quota"] == {"limit": spec.quota_limit, "period": spec.quota_period}


def test_other_stacks_plans_are_not_ours(apigateway, keys):
    ensure_usage_plans(apigateway, "other")

    assert set(keys.plans.values()).isdisjoint(find_usage_plans(apigateway, "other").values())


def test_a_client_key_is_created_in_its_tiers_plan(apigateway, keys):
    key = keys.create("client-1", "partner")

    plans = apigateway.get_usage_plans(keyId=key.id)["items"]
    assert [plan["id"] for plan in plans] == [keys.plans["partner"]]
    stored = apigateway.get_api_key(apiKey=key.id, includeValue=True)
    assert (stored["value"], stored["enabled"], stored["name"]) == (key.value, True, "client-1")


def test_an_unknown_tier_is_refused_before_anything_is_created(apigateway, keys):
    with pytest.raises(UnknownTier, match="the tiers are partner, standard"):
        keys.create("client-1", "gold")

    assert apigateway.get_api_keys()["items"] == []


def test_a_failed_association_leaves_no_key(apigateway, keys):
    class AssociationFails:
        """moto's API Gateway, except that adding a key to a plan fails (as a throttled call would)."""

        def __getattr__(self, name):
            return getattr(apigateway, name)

        def create_usage_plan_key(self, **_):
            raise apigateway.exceptions.TooManyRequestsException(
                {"Error": {"Code": "TooManyRequestsException", "Message": "slow down"}}, "CreateUsagePlanKey"
            )

    with pytest.raises(apigateway.exceptions.TooManyRequestsException):
        ApiKeys(AssociationFails(), keys.plans).create("client-1", "standard")

    assert apigateway.get_api_keys()["items"] == []


def test_a_key_moves_between_tiers(apigateway, keys):
    key = keys.create("client-1", "standard")

    keys.move(key.id, "standard", "partner")

    assert [plan["id"] for plan in apigateway.get_usage_plans(keyId=key.id)["items"]] == [keys.plans["partner"]]


def test_keys_are_disabled_and_deleted(apigateway, keys):
    key = keys.create("client-1", "standard")

    keys.set_enabled(key.id, False)
    assert apigateway.get_api_key(apiKey=key.id)["enabled"] is False
    keys.delete(key.id)
    keys.delete(key.id)  # already gone: fine
    assert apigateway.get_api_keys()["items"] == []


# ---------------------------------------------------------------- enforcement on the local stack


def test_authorised_routes_need_a_valid_key_in_a_plan(apigateway, keys, plans):
    key = keys.create("client-1", "standard")
    orphan = apigateway.create_api_key(name="orphan", enabled=True)

    assert plans.admit(route=LEADS, api_key=key.value, request_id="a") is None
    assert plans.admit(route=LEADS, api_key=None, request_id="b") == "INVALID_API_KEY"
    assert plans.admit(route=LEADS, api_key="not-a-key", request_id="c") == "INVALID_API_KEY"
    assert plans.admit(route=LEADS, api_key=orphan["value"], request_id="d") == "INVALID_API_KEY"
    assert plans.admit(route=HEALTH, api_key=None, request_id="e") is None


def test_a_key_created_a_moment_ago_is_known_at_once(keys, plans):
    plans.admit(route=LEADS, api_key=keys.create("client-1", "standard").value, request_id="warm")

    newcomer = keys.create("client-2", "standard")

    assert plans.admit(route=LEADS, api_key=newcomer.value, request_id="a") is None


def test_a_disabled_key_is_refused_once_api_gateway_has_applied_it(keys, plans, clock):
    key = keys.create("client-1", "standard")
    assert plans.admit(route=LEADS, api_key=key.value, request_id="a") is None

    keys.set_enabled(key.id, False)
    clock.now += DIRECTORY_MAX_AGE_SECONDS

    assert plans.admit(route=LEADS, api_key=key.value, request_id="b") == "INVALID_API_KEY"


def test_the_plan_throttle_is_a_token_bucket_per_key(keys, plans, clock):
    standard = next(spec for spec in template.usage_plans() if spec.tier == "standard")
    key = keys.create("client-1", "standard")
    other = keys.create("client-2", "standard")

    burst = admit_many(plans, standard.burst_limit + 1, api_key=key.value)
    assert burst == [None] * standard.burst_limit + ["THROTTLED"]
    assert plans.admit(route=LEADS, api_key=other.value, request_id="other") is None  # its own bucket

    clock.now += 1.5 / standard.rate_limit  # one and a half tokens back
    assert admit_many(plans, 2, api_key=key.value) == [None, "THROTTLED"]


def test_a_partner_key_gets_the_partners_burst(keys, plans):
    partner = next(spec for spec in template.usage_plans() if spec.tier == "partner")
    key = keys.create("client-1", "partner")

    results = admit_many(plans, partner.burst_limit + 1, api_key=key.value)

    assert results.count(None) == partner.burst_limit
    assert results[-1] == "THROTTLED"


def test_the_stage_throttle_applies_per_method_to_every_caller(plans):
    _rate, burst = template.stage_throttle()

    results = admit_many(plans, burst + 1, route=HEALTH)

    assert results == [None] * burst + ["THROTTLED"]


def test_the_quota_runs_out_and_comes_back_the_next_utc_day(apigateway, keys, plans, clock):
    set_plan(apigateway, keys.plans["standard"], quota_limit=3)
    key = keys.create("client-1", "standard")

    used = []
    for _ in range(4):
        clock.now += 1  # slow enough never to be throttled
        used.append(plans.admit(route=LEADS, api_key=key.value, request_id="q"))
    assert used == [None, None, None, "QUOTA_EXCEEDED"]
    assert plans.admit(route=USAGE, api_key=key.value, request_id="q") == "QUOTA_EXCEEDED"  # one quota per key

    clock.now = datetime(2026, 3, 29, 0, 0, tzinfo=UTC).timestamp()
    assert plans.admit(route=LEADS, api_key=key.value, request_id="q") is None


def test_throttled_requests_use_no_quota(apigateway, keys, plans, clock):
    set_plan(apigateway, keys.plans["standard"], quota_limit=5, burst=2)
    key = keys.create("client-1", "standard")

    assert admit_many(plans, 4, api_key=key.value) == [None, None, "THROTTLED", "THROTTLED"]
    clock.now += 60
    assert admit_many(plans, 3, api_key=key.value) == [None, None, "THROTTLED"]
    clock.now += 60
    # 4 admitted so far and 3 throttled: had the throttled counted, the quota of 5 would be gone.
    assert admit_many(plans, 2, api_key=key.value) == [None, "QUOTA_EXCEEDED"]


@pytest.mark.parametrize(
    ("period", "moment", "start"),
    [
        ("DAY", datetime(2026, 3, 28, 23, 59, 59, tzinfo=UTC), datetime(2026, 3, 28, tzinfo=UTC)),
        ("WEEK", datetime(2026, 3, 28, 12, tzinfo=UTC), datetime(2026, 3, 22, tzinfo=UTC)),  # Sat -> Sun
        ("WEEK", datetime(2026, 3, 22, 0, 0, 1, tzinfo=UTC), datetime(2026, 3, 22, tzinfo=UTC)),
        ("MONTH", datetime(2026, 3, 31, 23, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)),
    ],
)
def test_quota_periods_start_at_utc_boundaries(period, moment, start):
    assert quota_period_start(period, moment.timestamp()) == start.timestamp()
