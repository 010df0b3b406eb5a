"""A stand-in for Cognito's `/oauth2/token` (client_credentials only), which moto does not have. LOCAL ONLY.

It checks the client id and secret, the grant and the scopes against the app client in moto, answers
errors as Cognito does (`{"error": ...}`, 400), and signs access tokens shaped like Cognito's with the
private key that ships inside moto, whose public half moto serves as every pool's JWKS. That key is
public, so these tokens mean nothing outside a local stack or a test.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Mapping
from functools import cache
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

KEY_ID = "dummy"  # the `kid` of moto's JWKS
ACCESS_TOKEN_SECONDS = 3600


@cache
def signing_key() -> Any:
    """moto's private JWK (`moto/cognitoidp/resources/jwks-private.json`, gzipped in the package)."""
    from moto.utilities.utils import load_resource

    return RSAAlgorithm.from_jwk(json.dumps(load_resource("cognitoidp/resources/jwks-private.json")))


def issue_token(
    cognito_client: Any,
    user_pool_id: str,
    form: Mapping[str, str],
    authorization_header: str | None,
    issuer: str,
) -> tuple[int, dict[str, Any]]:
    """(status, JSON body) as Cognito's token endpoint would answer this client-credentials request."""
    try:
        app_client = _authenticated_client(cognito_client, user_pool_id, form, authorization_header)
        scopes = _granted_scopes(app_client, form)
    except _Refused as refusal:
        return 400, {"error": refusal.error}
    return 200, {
        "access_token": sign_access_token(app_client["ClientId"], scopes, issuer),
        "expires_in": ACCESS_TOKEN_SECONDS,
        "token_type": "Bearer",
    }


class _Refused(Exception):
    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _authenticated_client(
    cognito_client: Any, user_pool_id: str, form: Mapping[str, str], authorization_header: str | None
) -> dict[str, Any]:
    client_id, client_secret = _credentials(form, authorization_header)
    if not client_id:
        raise _Refused("invalid_client")
    try:
        app_client = cognito_client.describe_user_pool_client(UserPoolId=user_pool_id, ClientId=client_id)
    except cognito_client.exceptions.ResourceNotFoundException as exc:
        raise _Refused("invalid_client") from exc
    secret = app_client["UserPoolClient"].get("ClientSecret")
    if not secret or client_secret != secret:
        raise _Refused("invalid_client")
    return app_client["UserPoolClient"]


def _granted_scopes(app_client: Mapping[str, Any], form: Mapping[str, str]) -> list[str]:
    """The grant's scopes: those asked for, all allowed ones when none are asked for (as Cognito does)."""
    grant_type = form.get("grant_type")
    if not grant_type:
        raise _Refused("invalid_request")
    if grant_type != "client_credentials":
        raise _Refused("unsupported_grant_type")
    flows = app_client.get("AllowedOAuthFlows", [])
    if not app_client.get("AllowedOAuthFlowsUserPoolClient") or "client_credentials" not in flows:
        raise _Refused("unauthorized_client")
    allowed = list(app_client.get("AllowedOAuthScopes", []))
    asked = form.get("scope", "").split()
    if any(scope not in allowed for scope in asked):
        raise _Refused("invalid_scope")
    return asked or allowed


def sign_access_token(
    client_id: str,
    scopes: list[str],
    issuer: str,
    *,
    now: int | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> str:
    """An access token with Cognito's claims; `overrides` replace claims (tests make bad tokens with it)."""
    now = int(time.time()) if now is None else now
    claims = {
        "sub": client_id,
        "token_use": "access",
        "scope": " ".join(scopes),
        "auth_time": now,
        "iss": issuer,
        "exp": now + ACCESS_TOKEN_SECONDS,
        "iat": now,
        "version": 2,
        "jti": str(uuid.uuid4()),
        "client_id": client_id,
        **(overrides or {}),
    }
    return jwt.encode(claims, signing_key(), algorithm="RS256", headers={"kid": KEY_ID})


def _credentials(form: Mapping[str, str], authorization_header: str | None) -> tuple[str | None, str | None]:
    if authorization_header:
        scheme, _, encoded = authorization_header.strip().partition(" ")
        if scheme.lower() != "basic":
            return None, None
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None, None
        client_id, _, client_secret = decoded.partition(":")
        return client_id, client_secret
    return form.get("client_id"), form.get("client_secret")
