"""The authorizer policy: for every combination of scopes, exactly the routes those scopes grant."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadgate.auth.policy import build_policy, grants, resource_pattern
from leadgate.routes import ALL_SCOPES, ROUTES, Route
from leadgate_dev.local.authorizer import is_allowed

API = "arn:aws:execute-api:ap-northeast-1:123456789012:a1b2c3d4e5/prod"
# No scope, each scope alone and all of them; other combinations are drawn (every subset would be 2^n tests).
SCOPE_SETS = [frozenset(), *(frozenset({scope}) for scope in ALL_SCOPES), frozenset(ALL_SCOPES)]
LEAD_ID = "01JD8X5Q9R7M2K4N6P8S0T2V4W"


def concrete(route: Route) -> str:
    return route.path.replace("{id}", LEAD_ID).replace("{tag}", "vip-client")


def policy_for(scopes, called: str = "GET/api/v1/leads") -> dict:
    return build_policy(
        method_arn=f"{API}/{called}",
        principal_id="client-1",
        scopes=scopes,
        context={"tenant_id": "acme"},
    )


def assert_policy_allows_exactly_the_granted_routes(scopes):
    policy = policy_for(scopes)

    for route in ROUTES:
        if route.public:
            continue
        expected = not set(route.scopes).isdisjoint(scopes)
        assert is_allowed(policy, f"{API}/{route.method}{concrete(route)}") == expected, route


@pytest.mark.parametrize("scopes", SCOPE_SETS, ids=lambda scopes: "+".join(sorted(scopes)) or "none")
def test_policy_allows_exactly_the_granted_routes(scopes):
    assert_policy_allows_exactly_the_granted_routes(scopes)


@given(st.frozensets(st.sampled_from(ALL_SCOPES)))
def test_any_combination_of_scopes_allows_exactly_the_granted_routes(scopes):
    assert_policy_allows_exactly_the_granted_routes(scopes)


def test_public_routes_are_never_in_a_policy():
    policy = policy_for(ALL_SCOPES)
    resources = [resource for statement in policy["policyDocument"]["Statement"] for resource in statement["Resource"]]

    assert not any(resource.endswith(("/oauth2/token", "/api/v1/health")) for resource in resources)


def test_the_policy_does_not_depend_on_the_method_called():
    assert policy_for({"read:leads"}) == policy_for({"read:leads"}, called=f"GET/api/v1/leads/{LEAD_ID}")


def test_arns_use_the_called_api_stage_region_and_account():
    statement = policy_for({"read:leads"})["policyDocument"]["Statement"][0]

    assert statement["Effect"] == "Allow"
    assert f"{API}/GET/api/v1/leads/*" in statement["Resource"]
    assert not is_allowed(policy_for({"read:leads"}), f"{API.replace('prod', 'dev')}/GET/api/v1/leads")


def test_delete_scope_alone_cannot_remove_tags():
    """`DELETE .../leads/*` would cover `DELETE .../leads/{id}/tags/{tag}` (write:leads) without a Deny."""
    policy = policy_for({"delete:leads"})

    assert is_allowed(policy, f"{API}/DELETE/api/v1/leads/{LEAD_ID}")
    assert not is_allowed(policy, f"{API}/DELETE/api/v1/leads/{LEAD_ID}/tags/vip-client")


def test_no_scope_gives_an_explicit_deny_and_the_context():
    policy = policy_for(set())

    assert [statement["Effect"] for statement in policy["policyDocument"]["Statement"]] == ["Deny"]
    assert policy["context"] == {"tenant_id": "acme"}
    assert policy["principalId"] == "client-1"


def test_usage_identifier_key_only_when_given():
    assert "usageIdentifierKey" not in policy_for({"read:leads"})
    with_key = build_policy(
        method_arn=f"{API}/GET/api/v1/leads",
        principal_id="c",
        scopes={"read:leads"},
        context={},
        usage_identifier_key="k",
    )
    assert with_key["usageIdentifierKey"] == "k"


def test_resource_pattern_and_grants():
    route = Route("DELETE", "/api/v1/leads/{id}/tags/{tag}", "leads", ("write:leads",))

    assert resource_pattern(route) == "/api/v1/leads/*/tags/*"
    assert grants(route, {"write:leads", "read:leads"})
    assert not grants(route, {"delete:leads"})
    assert not grants(Route("GET", "/api/v1/health", "health", None), ALL_SCOPES)


@pytest.mark.parametrize(
    ("resource", "arn", "expected"),
    [
        ("arn:x/GET/a/*", "arn:x/GET/a/b/c", True),
        ("arn:x/GET/a/*", "arn:x/GET/a", False),
        ("arn:x/GET/a/?", "arn:x/GET/a/b", True),
        ("arn:x/GET/a/?", "arn:x/GET/a/bc", False),
        ("arn:x/GET/a.b", "arn:x/GET/aXb", False),
        ("arn:x/*/*", "arn:x/POST/anything/at/all", True),
    ],
)
def test_is_allowed_uses_iam_wildcards(resource, arn, expected):
    document = {"Statement": [{"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": resource}]}

    assert is_allowed(document, arn) is expected
