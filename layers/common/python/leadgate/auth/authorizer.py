"""The API's REQUEST authorizer: bearer token -> verified access token -> registered client -> policy.

API Gateway maps the exception `Exception("Unauthorized")` to 401 (UNAUTHORIZED gateway response); any
other exception is an authorizer failure (500). A policy without an Allow for the method gives 403.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.data_classes.api_gateway_authorizer_event import (
    APIGatewayAuthorizerRequestEvent,
)

from leadgate.auth import clients, policy
from leadgate.auth.jwt import InvalidToken, verify_access_token

logger = Logger(child=True)

UNAUTHORIZED = "Unauthorized"  # the exact message API Gateway turns into a 401


def authorize(event: APIGatewayAuthorizerRequestEvent) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    token = bearer_token(headers.get("authorization"))
    if token is None:
        raise _refusal("missing or malformed Authorization header")
    try:
        access = verify_access_token(token)
    except InvalidToken as exc:
        raise _refusal(str(exc)) from None
    client = clients.get_client(access.client_id)
    if client is None or not client.enabled:
        raise _refusal("client is unknown or disabled", client_id=access.client_id)
    # The registry can narrow a client's scopes without waiting for its tokens to expire.
    scopes = access.scopes & set(client.scopes)
    logger.append_keys(client_id=client.client_id, tenant_id=client.tenant)
    return policy.build_policy(
        method_arn=event.method_arn,
        principal_id=client.client_id,
        scopes=scopes,
        context={
            "tenant_id": client.tenant,
            "client_id": client.client_id,
            "scopes": " ".join(sorted(scopes)),
            "tier": client.tier,
            "rate_policies": client.rate_policies,
        },
        usage_identifier_key=client.api_key_value,
    )


def bearer_token(header: str | None) -> str | None:
    scheme, _, token = (header or "").strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def _refusal(reason: str, **keys: str) -> Exception:
    """The exception that makes API Gateway answer 401; the reason goes to the log, never to the caller."""
    logger.info("Request refused", extra={"reason": reason, **keys})
    return Exception(UNAUTHORIZED)
