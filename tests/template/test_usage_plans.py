"""Usage plans are the client tiers, attached to the API stage."""

from __future__ import annotations

from leadgate_dev import template


def test_tiers_have_a_throttle_and_a_daily_quota():
    plans = {plan.tier: plan for plan in template.usage_plans()}
    assert set(plans) == {"standard", "partner"}
    for plan in plans.values():
        assert plan.rate_limit > 0
        assert plan.burst_limit >= plan.rate_limit
        assert plan.quota_limit and plan.quota_period == "DAY"
    assert plans["partner"].rate_limit > plans["standard"].rate_limit
    assert plans["partner"].quota_limit > plans["standard"].quota_limit


def test_stage_default_throttle_covers_a_partner():
    rate, burst = template.stage_throttle()
    partner = next(plan for plan in template.usage_plans() if plan.tier == "partner")
    assert rate >= partner.rate_limit and burst >= partner.burst_limit


def test_plans_are_attached_to_the_api_stage_and_exported(source, transformed):
    for tier, logical_id in template.usage_plan_logical_ids().items():
        plan = transformed["Resources"][logical_id]["Properties"]
        assert plan["ApiStages"] == [{"ApiId": {"Ref": "LeadgateApi"}, "Stage": {"Ref": "LeadgateApiStage"}}], tier
        assert source["Outputs"][f"{logical_id}Id"]["Value"] == {"Ref": logical_id}
