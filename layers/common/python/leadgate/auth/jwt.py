"""Verification of Cognito access tokens (RS256, the pool's JWKS, issuer, `token_use`, expiry)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import jwt
from jwt import PyJWKClient, PyJWKClientConnectionError, PyJWKClientError

from leadgate.settings import get_settings

ALGORITHMS = ["RS256"]
LEEWAY_SECONDS = 10  # clock skew between Cognito and Lambda
# Cognito publishes new keys long before it signs with them, so an hour-old key set is safe; a token with
# an unknown `kid` still triggers one refetch (at most every `JWKS_REFETCH_COOLDOWN` seconds).
JWKS_LIFESPAN_SECONDS = 3600
JWKS_REFETCH_COOLDOWN = 30
JWKS_TIMEOUT_SECONDS = 3
REQUIRED_CLAIMS = ["exp", "iat", "iss", "token_use", "client_id"]


class InvalidToken(Exception):
    """The token is not a valid, current access token of our pool. The message says why (never the token)."""


class KeysUnavailable(RuntimeError):
    """The JWKS could not be fetched: our failure, not the caller's."""


@dataclass(frozen=True)
class AccessToken:
    client_id: str
    scopes: frozenset[str]  # short names (`read:leads`); scopes of other resource servers are dropped
    expires_at: int


@cache
def _jwks_client(url: str) -> PyJWKClient:
    """One JWKS client per URL for the life of the process, so warm invocations fetch no keys."""
    return PyJWKClient(
        url,
        cache_keys=True,
        lifespan=JWKS_LIFESPAN_SECONDS,
        timeout=JWKS_TIMEOUT_SECONDS,
        cooldown_duration=JWKS_REFETCH_COOLDOWN,
    )


def verify_access_token(token: str) -> AccessToken:
    settings = get_settings()
    try:
        signing_key = _jwks_client(settings.cognito_jwks_url).get_signing_key_from_jwt(token)
    except PyJWKClientConnectionError as exc:
        raise KeysUnavailable(str(exc)) from exc
    except (PyJWKClientError, jwt.InvalidTokenError) as exc:
        raise InvalidToken(f"no signing key: {exc}") from exc
    try:
        claims = jwt.decode(
            token,
            signing_key.key,
            algorithms=ALGORITHMS,
            issuer=settings.cognito_issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"{type(exc).__name__}: {exc}") from exc
    if claims["token_use"] != "access":
        raise InvalidToken(f"token_use is {claims['token_use']!r}, not 'access'")
    client_id = claims["client_id"]
    if not isinstance(client_id, str) or not client_id:
        raise InvalidToken("client_id claim is empty")
    return AccessToken(
        client_id=client_id,
        scopes=short_scopes(str(claims.get("scope", "")), settings.scope_prefix),
        expires_at=int(claims["exp"]),
    )


def short_scopes(scope_claim: str, prefix: str) -> frozenset[str]:
    """`leadgate/read:leads leadgate/write:leads` -> {read:leads, write:leads}."""
    marker = f"{prefix}/"
    return frozenset(scope[len(marker) :] for scope in scope_claim.split() if scope.startswith(marker))
