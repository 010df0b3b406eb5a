"""Clients' API keys and rate policies through the `leadgate` CLI on moto: create --tier, rotate-key,
set-tier, set-limits, disable."""

from __future__ import annotations

import json

import boto3
import pytest

from leadgate.auth.clients import get_client
from leadgate.ratelimit import parse_policies
from leadgate_admin.cli import main
from leadgate_admin.clients import ClientRegistry
from leadgate_admin.usage_plans import ApiKeys


@pytest.fixture
def where(aws, tmp_path, monkeypatch):
    """The CLI's target: a `.local` dir describing the moto stack, as the local stack writes it."""
    (tmp_path / "stack.json").write_text(json.dumps(aws.to_json()))
    monkeypatch.delenv("LEADGATE_LOCAL_DIR", raising=False)
    return ("--local-dir", str(tmp_path))


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def plan_names(key_id):
    return [plan["name"] for plan in boto3.client("apigateway").get_usage_plans(keyId=key_id)["items"]]


def api_key(key_id):
    return boto3.client("apigateway").get_api_key(apiKey=key_id, includeValue=True)


def key_ids():
    return {key["id"] for key in boto3.client("apigateway").get_api_keys()["items"]}


@pytest.fixture
def partner(capsys, where):
    code, created, err = run(capsys, "clients", "create", "--tenant", "acme", "--tier", "partner", *where)
    assert code == 0, err
    return get_client(created["client_id"])


def test_create_gives_the_client_an_api_key_in_its_tiers_plan(aws, partner):
    assert partner.tier == "partner"
    assert plan_names(partner.api_key_id) == ["local-partner"]
    key = api_key(partner.api_key_id)
    assert (key["value"], key["enabled"], key["name"]) == (partner.api_key_value, True, partner.client_id)


def test_an_unknown_tier_is_refused_before_anything_is_created(aws, capsys, where):
    code, _, err = run(capsys, "clients", "create", "--tenant", "acme", "--tier", "gold", *where)

    assert code == 2
    assert "Unknown tier 'gold'; the tiers are partner, standard." in err
    assert key_ids() == set()
    assert (
        boto3.client("cognito-idp").list_user_pool_clients(UserPoolId=aws.user_pool_id, MaxResults=10)[
            "UserPoolClients"
        ]
        == []
    )


def test_a_failed_registration_leaves_no_key_and_no_app_client(aws):
    apigateway = boto3.client("apigateway")
    registry = ClientRegistry(
        dynamodb=boto3.client("dynamodb"),
        cognito=boto3.client("cognito-idp"),
        table="no-such-table",
        user_pool_id=aws.user_pool_id,
        scope_prefix=aws.resource_server,
        api_keys=ApiKeys(apigateway, aws.usage_plans),
    )

    with pytest.raises(Exception, match=r"ResourceNotFound|Requested resource not found"):
        registry.create("acme", ["read:leads"], tier="standard")

    assert key_ids() == set()


def test_rotation_retires_the_old_key_until_the_next_rotation(partner, capsys, where):
    first = partner.api_key_id

    code, rotated, _ = run(capsys, "clients", "rotate-key", partner.client_id, *where)

    assert code == 0
    second = rotated["api_key_id"]
    assert second != first
    stored = get_client(partner.client_id)
    assert (stored.api_key_id, stored.retired_api_key_id) == (second, first)
    assert stored.api_key_value == api_key(second)["value"]
    assert plan_names(second) == ["local-partner"]
    assert api_key(first)["enabled"] is True  # cached policies may still name it for a while

    run(capsys, "clients", "rotate-key", partner.client_id, *where)

    assert first not in key_ids()
    assert len(key_ids()) == 2


def test_set_tier_moves_the_key_to_the_other_plan(partner, capsys, where):
    code, moved, _ = run(capsys, "clients", "set-tier", partner.client_id, "--tier", "standard", *where)

    assert code == 0
    assert moved["tier"] == "standard"
    assert plan_names(partner.api_key_id) == ["local-standard"]

    code, _, err = run(capsys, "clients", "set-tier", partner.client_id, "--tier", "gold", *where)
    assert code == 2
    assert "Unknown tier" in err
    assert get_client(partner.client_id).tier == "standard"


def test_set_limits_stores_the_policies_the_authorizer_hands_on(partner, capsys, where):
    code, changed, _ = run(
        capsys, "clients", "set-limits", partner.client_id, "--hourly", "500", "--minutely", "20", *where
    )

    assert code == 0
    assert changed["rate_policies"] == [{"limit": 20, "window": 60}, {"limit": 500, "window": 3600}]
    stored = get_client(partner.client_id).rate_policies
    assert [(policy.limit, policy.window) for policy in parse_policies(stored)] == [(20, 60), (500, 3600)]

    code, _, _ = run(capsys, "clients", "set-limits", partner.client_id, "--policy", "5000/86400", *where)
    assert [policy.window for policy in parse_policies(get_client(partner.client_id).rate_policies)] == [86400]

    code, reset, _ = run(capsys, "clients", "set-limits", partner.client_id, "--default", *where)
    assert code == 0
    assert "rate_policies" not in reset
    assert get_client(partner.client_id).rate_policies == ""


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--policy", "100/90", "--minutely", "10"), "not a multiple"),
        (("--policy", "ten/60"), "is not LIMIT/WINDOW_SECONDS"),
        (("--minutely", "100", "--hourly", "50"), "below"),
        ((), "Give --hourly, --minutely or --policy, or --default alone."),
        (("--default", "--hourly", "5"), "Give --hourly, --minutely or --policy, or --default alone."),
    ],
)
def test_bad_limits_are_refused_and_nothing_changes(partner, capsys, where, arguments, message):
    code, _, err = run(capsys, "clients", "set-limits", partner.client_id, *arguments, *where)

    assert code == 2
    assert message in err
    assert get_client(partner.client_id).rate_policies == ""


def test_limits_of_an_unknown_client(aws, capsys, where):
    code, _, err = run(capsys, "clients", "set-limits", "nobody", "--hourly", "5", *where)

    assert code == 1
    assert "nobody" in err


def test_disabling_a_client_disables_its_keys(partner, capsys, where):
    run(capsys, "clients", "rotate-key", partner.client_id, *where)
    current = get_client(partner.client_id)

    code, _, _ = run(capsys, "clients", "disable", partner.client_id, *where)

    assert code == 0
    assert api_key(current.api_key_id)["enabled"] is False
    assert api_key(current.retired_api_key_id)["enabled"] is False
