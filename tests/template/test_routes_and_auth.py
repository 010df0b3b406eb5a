"""The deployed API has exactly the routes of leadgate.routes, each with its scopes, authorizer and API key."""

from __future__ import annotations

import pytest

from leadgate.routes import ROUTES
from leadgate_dev import template
from tests.template.translate import AUTHORIZER, security_problems, transform_offline


def _event(source: dict, function: str, event: str) -> dict:
    return source["Resources"][function]["Properties"]["Events"][event]["Properties"]


def test_template_routes_are_the_route_table():
    declared = {(route.method, route.path, route.function, route.scopes) for route in template.api_routes()}
    assert declared == {(route.method, route.path, route.function, route.scopes) for route in ROUTES}
    assert len(template.api_routes()) == len(ROUTES)  # no route declared twice


def test_every_deployed_method_carries_the_scopes_authorizer_and_api_key_of_its_route(source, transformed):
    assert security_problems(source, transformed, ROUTES) == []


def test_public_routes_have_neither_authorizer_nor_api_key(source, transformed):
    body = transformed["Resources"]["LeadgateApi"]["Properties"]["Body"]
    for route in ROUTES:
        security = body["paths"][route.path][route.method.lower()].get("security", [])
        if route.public:
            assert security == [], route
        else:
            assert {AUTHORIZER: list(route.scopes)} in security, route


@pytest.mark.parametrize(
    ("function", "event", "route"),
    [
        ("LeadsFunction", "DeleteLead", "DELETE /api/v1/leads/{id}"),
        ("UsageFunction", "Usage", "GET /api/v1/usage"),
    ],
)
def test_a_misspelled_scopes_key_is_caught_although_the_translator_accepts_it(source, function, event, route):
    auth = _event(source, function, event)["Auth"]
    auth["AuthorisationScopes"] = auth.pop("AuthorizationScopes")

    problems = security_problems(source, transform_offline(source), ROUTES)  # the translator drops the key

    assert f"authorised without scopes: {route}" in problems
    with pytest.raises(template.TemplateError, match="AuthorisationScopes"):
        template.api_routes(source)


def test_a_route_that_loses_its_auth_block_is_caught(source):
    del _event(source, "LeadsFunction", "ListLeads")["Auth"]  # falls back to the default authorizer, unscoped

    problems = security_problems(source, transform_offline(source), ROUTES)

    assert "authorised without scopes: GET /api/v1/leads" in problems


def test_a_route_missing_from_the_template_is_caught(source):
    del source["Resources"]["LeadsFunction"]["Properties"]["Events"]["RemoveTag"]

    problems = security_problems(source, transform_offline(source), ROUTES)

    assert any("/api/v1/leads/{id}/tags/{tag}" in problem and "not deployed" in problem for problem in problems)


def test_the_authorizer_is_a_cached_request_authorizer_on_the_authorization_header(transformed):
    body = transformed["Resources"]["LeadgateApi"]["Properties"]["Body"]
    authorizer = body["components"]["securitySchemes"][AUTHORIZER]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request"
    assert authorizer["identitySource"] == "method.request.header.Authorization"
    assert authorizer["authorizerResultTtlInSeconds"] == template.authorizer_ttl() == 300
    assert "AuthorizerFunction" in str(authorizer["authorizerUri"])


def test_api_keys_come_from_the_authorizer(transformed):
    assert transformed["Resources"]["LeadgateApi"]["Properties"]["ApiKeySourceType"] == "AUTHORIZER"


def test_the_resource_server_offers_every_scope_the_routes_use():
    used = {scope for route in ROUTES if route.scopes for scope in route.scopes}
    server = template.resource_server()
    assert server.identifier == "leadgate"
    assert used <= set(server.scopes)
    assert template.function_environment("authorizer")["SCOPE_PREFIX"] == server.identifier
