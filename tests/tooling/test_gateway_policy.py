"""The local API Gateway's authorizer side: IAM policy evaluation, the method ARN and the policy cache."""

import pytest

from leadgate_dev.local.authorizer import (
    Authorization,
    AuthorizerFailure,
    PolicyCache,
    is_allowed,
    method_arn,
)

ARN_PREFIX = "arn:aws:execute-api:us-east-1:123456789012:local/local"


def policy(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(resource, action="execute-api:Invoke"):
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def deny(resource):
    return {"Effect": "Deny", "Action": "execute-api:Invoke", "Resource": resource}


def test_method_arn_is_api_gateways_shape():
    assert method_arn("local", "get", "/api/v1/leads/01J") == f"{ARN_PREFIX}/GET/api/v1/leads/01J"


@pytest.mark.parametrize(
    ("resource", "arn", "allowed"),
    [
        (f"{ARN_PREFIX}/GET/api/v1/leads", f"{ARN_PREFIX}/GET/api/v1/leads", True),
        (f"{ARN_PREFIX}/GET/api/v1/leads", f"{ARN_PREFIX}/POST/api/v1/leads", False),
        (f"{ARN_PREFIX}/GET/api/v1/leads/*", f"{ARN_PREFIX}/GET/api/v1/leads/01J", True),
        # `*` spans slashes, as in IAM: leads/* also covers leads/{id}/tags/{tag}.
        (f"{ARN_PREFIX}/DELETE/api/v1/leads/*", f"{ARN_PREFIX}/DELETE/api/v1/leads/01J/tags/vip", True),
        (f"{ARN_PREFIX}/GET/api/v1/leads/*", f"{ARN_PREFIX}/GET/api/v1/leads", False),
        (f"{ARN_PREFIX}/*/api/v1/leads", f"{ARN_PREFIX}/PATCH/api/v1/leads", True),
        (f"{ARN_PREFIX}/GET/api/v1/lead?", f"{ARN_PREFIX}/GET/api/v1/leads", True),
        (f"{ARN_PREFIX}/GET/api/v1/lead?", f"{ARN_PREFIX}/GET/api/v1/lead", False),
        ("*", f"{ARN_PREFIX}/GET/api/v1/leads", True),
        # Case matters in ARNs.
        (f"{ARN_PREFIX}/get/api/v1/leads", f"{ARN_PREFIX}/GET/api/v1/leads", False),
        # Regex metacharacters in the policy are literal.
        (f"{ARN_PREFIX}/GET/api/v1/leads.", f"{ARN_PREFIX}/GET/api/v1/leadsX", False),
    ],
)
def test_allow_statement_wildcards(resource, arn, allowed):
    assert is_allowed(policy(allow(resource)), arn) is allowed


def test_explicit_deny_wins_over_any_allow():
    arn = f"{ARN_PREFIX}/DELETE/api/v1/leads/01J"
    document = policy(allow("*"), deny(f"{ARN_PREFIX}/DELETE/*"))

    assert is_allowed(document, arn) is False
    assert is_allowed(document, f"{ARN_PREFIX}/GET/api/v1/leads/01J") is True


def test_no_matching_statement_denies():
    assert is_allowed(policy(), f"{ARN_PREFIX}/GET/api/v1/leads") is False
    assert is_allowed({"Version": "2012-10-17"}, f"{ARN_PREFIX}/GET/api/v1/leads") is False


def test_lists_of_actions_and_resources():
    document = policy(
        {
            "Effect": "Allow",
            "Action": ["execute-api:ManageConnections", "execute-api:*"],
            "Resource": [f"{ARN_PREFIX}/GET/api/v1/leads", f"{ARN_PREFIX}/POST/api/v1/leads"],
        }
    )

    assert is_allowed(document, f"{ARN_PREFIX}/POST/api/v1/leads") is True
    assert is_allowed(document, f"{ARN_PREFIX}/PUT/api/v1/leads") is False


def test_a_statement_for_another_action_does_not_allow():
    document = policy(allow("*", action="execute-api:ManageConnections"))

    assert is_allowed(document, f"{ARN_PREFIX}/GET/api/v1/leads") is False


def test_effect_is_case_insensitive_and_unknown_effects_do_nothing():
    arn = f"{ARN_PREFIX}/GET/api/v1/leads"

    assert is_allowed(policy({"Effect": "allow", "Action": "*", "Resource": "*"}), arn) is True
    assert is_allowed(policy({"Effect": "Maybe", "Action": "*", "Resource": "*"}), arn) is False


def test_authorizer_context_reaches_the_handler_as_strings_with_the_principal():
    authorization = Authorization.from_response(
        {
            "principalId": "client-1",
            "policyDocument": policy(allow("*")),
            "context": {"tenant_id": "acme", "limit": 10, "enabled": True},
            "usageIdentifierKey": "key-1",
        }
    )

    assert authorization.request_context() == {
        "tenant_id": "acme",
        "limit": "10",
        "enabled": "true",
        "principalId": "client-1",
    }
    assert authorization.usage_identifier_key == "key-1"


@pytest.mark.parametrize(
    "answer",
    [
        {"principalId": "x"},
        {"principalId": "x", "policyDocument": "Allow"},
        {"principalId": "x", "policyDocument": policy(allow("*")), "context": {"nested": {"a": 1}}},
        ["not", "a", "dict"],
    ],
)
def test_malformed_authorizer_answers_are_failures(answer):
    with pytest.raises(AuthorizerFailure):
        Authorization.from_response(answer)


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_policy_cache_keeps_an_answer_for_its_ttl_per_identity():
    clock = Clock()
    cache = PolicyCache(ttl=300, clock=clock)
    answer = Authorization("client-1", policy(allow("*")))
    cache.put("Bearer a", answer)

    assert cache.get("Bearer a") is answer
    assert cache.get("Bearer b") is None
    clock.now += 299.9
    assert cache.get("Bearer a") is answer
    clock.now += 0.1
    assert cache.get("Bearer a") is None


def test_zero_ttl_caches_nothing():
    cache = PolicyCache(ttl=0)
    cache.put("Bearer a", Authorization("client-1", policy(allow("*"))))

    assert cache.get("Bearer a") is None
