"""The authorizer's IAM policy: which of the API's methods a set of scopes may invoke.

API Gateway caches the policy per token and applies it to every method the token is then used on, so
the policy covers every route of `leadgate.routes.ROUTES`, not just the method being called. A route's
path parameters become `*`, and because `*` also matches `/`, an allowed pattern can cover a longer
route that the scopes do not grant (`DELETE .../leads/*` covers `DELETE .../leads/{id}/tags/{tag}`);
such routes get an explicit Deny, which wins over any Allow. Methods without an Allow are refused by
API Gateway with 403 (ACCESS_DENIED).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerResponse,
    parse_api_gateway_arn,
)

from leadgate.routes import ROUTES, Route

_PARAMETER = re.compile(r"\{[^/]+\}")
_SAMPLE_VALUE = "sample-value"


def resource_pattern(route: Route) -> str:
    """The route's path as a policy resource: `{id}` -> `*`."""
    return _PARAMETER.sub("*", route.path)


def grants(route: Route, scopes: Iterable[str]) -> bool:
    """A route needs any one of its scopes; public routes have no authorizer and are never in a policy."""
    return route.scopes is not None and not set(route.scopes).isdisjoint(scopes)


def build_policy(
    *,
    method_arn: str,
    principal_id: str,
    scopes: Iterable[str],
    context: Mapping[str, str],
    usage_identifier_key: str | None = None,
) -> dict[str, Any]:
    """The authorizer response for a caller holding `scopes`, valid for every method of the API."""
    allowed, denied = _rules(frozenset(scopes))
    arn = parse_api_gateway_arn(method_arn)
    response = APIGatewayAuthorizerResponse(
        principal_id=principal_id,
        region=arn.region,
        aws_account_id=arn.aws_account_id,
        api_id=arn.api_id,
        stage=arn.stage,
        context=dict(context),
        usage_identifier_key=usage_identifier_key,
        partition=arn.partition,
    )
    for method, pattern in allowed:
        response.allow_route(method, pattern)
    for method, pattern in denied:
        response.deny_route(method, pattern)
    if not allowed:
        # The token grants no route; an empty policy is invalid, so say so explicitly.
        response.deny_all_routes()
    return response.asdict()


@cache
def _rules(scopes: frozenset[str]) -> tuple[tuple[tuple[str, str], ...], tuple[tuple[str, str], ...]]:
    """(allowed, denied) (method, resource pattern) pairs for these scopes, checked against every route."""
    private = [route for route in ROUTES if not route.public]
    allowed = tuple(dict.fromkeys((r.method, resource_pattern(r)) for r in private if grants(r, scopes)))
    denied = tuple(
        dict.fromkeys(
            (route.method, resource_pattern(route))
            for route in private
            if not grants(route, scopes) and _matches_any(allowed, route.method, _sample_path(route))
        )
    )
    for route in private:
        decided = _matches_any(allowed, route.method, _sample_path(route)) and not _matches_any(
            denied, route.method, _sample_path(route)
        )
        if decided != grants(route, scopes):
            raise RuntimeError(f"the route table cannot be expressed as a policy: {route.method} {route.path}")
    return allowed, denied


def _sample_path(route: Route) -> str:
    return _PARAMETER.sub(_SAMPLE_VALUE, route.path)


def _matches_any(rules: Iterable[tuple[str, str]], method: str, path: str) -> bool:
    return any(
        _wildcard_match(f"{rule_method}/{pattern.lstrip('/')}", f"{method}/{path.lstrip('/')}")
        for rule_method, pattern in rules
    )


def _wildcard_match(pattern: str, value: str) -> bool:
    """IAM's wildcards: `*` is any run of characters (including `/`), `?` is any one character."""
    regex = "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern)
    return re.fullmatch(regex, value, flags=re.DOTALL) is not None
