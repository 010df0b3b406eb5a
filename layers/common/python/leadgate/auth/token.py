"""POST /oauth2/token: the client-credentials grant, as HOTLEAD's clients call it, in front of Cognito.

The client authenticates with HTTP Basic (`client_id:client_secret`) or with `client_id` and
`client_secret` form fields (client_secret_post), never both. We check the request, refuse clients that
are unknown to or disabled in our registry, and forward the grant to the user pool's token endpoint,
which checks the secret and the scopes and signs the token.

This endpoint speaks OAuth, not our API: errors are RFC 6749 §5.2 bodies `{"error", "error_description"}`
(what OAuth client libraries parse), with `X-Request-Id` like every response and `Cache-Control: no-store`.
Credentials are checked for shape (length, printable ASCII) before anything uses them as a key: a malformed
one is `invalid_client`, never a 5xx. A dependency that fails (DynamoDB, Cognito) is 503
`temporarily_unavailable` with `Retry-After`.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import requests
from aws_lambda_powertools import Logger

from leadgate import bodies, dependencies, errors, http_errors
from leadgate.auth import clients
from leadgate.ratelimit.token_guard import TokenAttemptsExceeded, token_guard
from leadgate.settings import get_settings

logger = Logger(child=True)

GRANT_TYPE = "client_credentials"
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
CHALLENGE = {"WWW-Authenticate": 'Basic realm="leadgate"'}
# (connect, read) seconds for the pool's token endpoint, the read bounded further by the invocation's time left.
COGNITO_CONNECT_TIMEOUT, COGNITO_READ_TIMEOUT = 2.0, 5.0
# Cognito's app client ids are at most 128 characters; secrets are shorter than 256. Printable ASCII only.
MAX_CLIENT_ID_LENGTH, MAX_CLIENT_SECRET_LENGTH = 128, 256
CREDENTIAL = re.compile(r"^[\x21-\x7e]+$")
# RFC 6749 appendix A.4: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
SCOPE_TOKEN = re.compile(r"^[\x21\x23-\x5b\x5d-\x7e]+$")
# The errors of RFC 6749 §5.2 that Cognito can answer, and that we pass on as they are.
OAUTH_ERRORS = frozenset(
    {
        "invalid_request",
        "invalid_client",
        "invalid_grant",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
    }
)
DESCRIPTIONS = {
    "invalid_client": "Client authentication failed.",
    "invalid_grant": "The grant is invalid.",
    "unauthorized_client": "This client may not use the client_credentials grant.",
    "unsupported_grant_type": "Only grant_type=client_credentials is supported.",
    "invalid_scope": "The requested scope is invalid, unknown, or not granted to this client.",
    "invalid_request": "The request is malformed.",
    "temporarily_unavailable": "The authorization server is temporarily unavailable; retry shortly.",
}


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer."""

    def __init__(
        self, error: str, description: str | None = None, status: int | None = None, retry_after: int | None = None
    ) -> None:
        self.error = error
        self.description = description or DESCRIPTIONS[error]
        self.status = status or (401 if error == "invalid_client" else 400)
        self.retry_after = retry_after
        super().__init__(f"{error}: {self.description}")

    @classmethod
    def unavailable(cls, retry_after: int = dependencies.RETRY_AFTER_UNAVAILABLE) -> OAuthError:
        return cls("temporarily_unavailable", status=503, retry_after=retry_after)

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}

    def headers(self) -> dict[str, str]:
        headers = {**NO_STORE, **(CHALLENGE if self.status == 401 else {})}
        if self.retry_after is not None:
            headers["Retry-After"] = str(self.retry_after)
        return headers


@dataclass(frozen=True)
class TokenRequest:
    client_id: str
    client_secret: str = field(repr=False)
    scopes: tuple[str, ...] | None  # Cognito's names (`leadgate/read:leads`); None asks for every allowed scope


def issue(request: TokenRequest, source_ip: str) -> dict[str, Any]:
    """A token for the client, or OAuthError / TokenAttemptsExceeded saying why not. A dependency that fails
    is `temporarily_unavailable`."""
    try:
        return _issue(request, source_ip)
    except (OAuthError, TokenAttemptsExceeded):
        raise
    except Exception as exc:
        unavailable = dependencies.unavailable(exc)
        if unavailable is None:
            raise
        logger.warning("Token endpoint dependency failed", extra={"error_type": type(exc).__name__})
        raise OAuthError.unavailable(unavailable.retry_after) from exc


def _issue(request: TokenRequest, source_ip: str) -> dict[str, Any]:
    guard = token_guard()
    # Per-address and per-(client, address) limits (docs/rate-limits.md), before the registry and Cognito.
    guard.admit(request.client_id, source_ip)
    try:
        _check_registered(request.client_id)
        grant = exchange(request)
    except OAuthError as error:
        if error.error == "invalid_client":
            guard.record_failure(request.client_id, source_ip)
        raise
    logger.info("Token issued", extra={"client_id": request.client_id})
    return grant


def parse_token_request(headers: Mapping[str, str], body: str, scope_prefix: str) -> TokenRequest:
    headers = {name.lower(): value for name, value in headers.items()}
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != FORM_CONTENT_TYPE:
        raise OAuthError("invalid_request", f"Content-Type must be {FORM_CONTENT_TYPE}.")
    form = _form(body)
    if "grant_type" not in form:
        raise OAuthError("invalid_request", "The grant_type parameter is required.")
    client_id, client_secret = _client_credentials(headers.get("authorization"), form)
    _check_shape(client_id, client_secret)
    if form["grant_type"] != GRANT_TYPE:
        raise OAuthError("unsupported_grant_type")
    return TokenRequest(client_id, client_secret, _scopes(form.get("scope"), scope_prefix))


def exchange(request: TokenRequest) -> dict[str, Any]:
    """Forwards the grant to the pool's token endpoint; Cognito's refusals become ours."""
    form = {"grant_type": GRANT_TYPE}
    if request.scopes is not None:
        form["scope"] = " ".join(request.scopes)
    try:
        answer = _http().post(
            get_settings().cognito_token_url,
            data=form,
            auth=(request.client_id, request.client_secret),
            headers={"Accept": "application/json"},
            timeout=(COGNITO_CONNECT_TIMEOUT, dependencies.time_left(COGNITO_READ_TIMEOUT)),
        )
        body = answer.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("Cognito token endpoint failed", extra={"error_type": type(exc).__name__})
        raise OAuthError.unavailable() from exc
    if answer.status_code == 200 and isinstance(body, dict) and body.get("access_token"):
        return {"access_token": body["access_token"], "expires_in": int(body["expires_in"]), "token_type": "Bearer"}
    error = body.get("error") if isinstance(body, dict) else None
    if 400 <= answer.status_code < 500 and error in OAUTH_ERRORS:
        raise OAuthError(error)
    logger.warning("Cognito token endpoint answered unexpectedly", extra={"status": answer.status_code})
    raise OAuthError.unavailable()


def _check_registered(client_id: str) -> None:
    client = clients.get_client(client_id)
    if client is None or not client.enabled:
        raise OAuthError("invalid_client")


def read_form(body: str | None, is_base64_encoded: bool) -> str:
    """The form as text, within the size limit of `leadgate.bodies` (413 above it, 400 unless UTF-8)."""
    try:
        return bodies.decode(body, is_base64_encoded, bodies.TOKEN_FORM_MAX_BYTES)
    except (errors.PayloadTooLarge, http_errors.InvalidJson) as exc:
        status = 413 if isinstance(exc, errors.PayloadTooLarge) else 400
        raise OAuthError("invalid_request", exc.message, status=status) from exc


def _check_shape(client_id: str, client_secret: str) -> None:
    """Credentials no client can have are refused before they are used as a key (DynamoDB's are bounded)."""
    if (
        len(client_id) > MAX_CLIENT_ID_LENGTH
        or len(client_secret) > MAX_CLIENT_SECRET_LENGTH
        or not CREDENTIAL.match(client_id)
        or not CREDENTIAL.match(client_secret)
    ):
        raise OAuthError("invalid_client")


def _form(body: str) -> dict[str, str]:
    """The form's parameters; RFC 6749 §3.1: empty ones count as absent, none may be repeated."""
    form: dict[str, str] = {}
    for name, value in parse_qsl(body, keep_blank_values=True):
        if not value:
            continue
        if name in form:
            raise OAuthError("invalid_request", f"The {name} parameter is repeated.")
        form[name] = value
    return form


def _client_credentials(authorization: str | None, form: Mapping[str, str]) -> tuple[str, str]:
    if authorization:
        if "client_secret" in form:
            raise OAuthError(
                "invalid_request", "Use one client authentication method: HTTP Basic or client_secret_post."
            )
        client_id, client_secret = _basic_credentials(authorization)
        # HOTLEAD's clients also send client_id in the form; it must name the same client.
        if form.get("client_id", client_id) != client_id:
            raise OAuthError("invalid_request", "The client_id parameter does not match the Authorization header.")
        return client_id, client_secret
    if "client_id" in form and "client_secret" in form:
        return form["client_id"], form["client_secret"]
    raise OAuthError("invalid_client")


def _basic_credentials(authorization: str) -> tuple[str, str]:
    scheme, _, encoded = authorization.strip().partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_client", "Authenticate the client with HTTP Basic or client_secret_post.")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise OAuthError("invalid_client") from exc
    client_id, colon, client_secret = decoded.partition(":")
    if not colon or not client_id or not client_secret:
        raise OAuthError("invalid_client")
    # RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(client_secret)


def _scopes(scope: str | None, prefix: str) -> tuple[str, ...] | None:
    """`read:leads leadgate/write:leads` -> Cognito's `leadgate/read:leads leadgate/write:leads`."""
    if scope is None:
        return None
    names: dict[str, None] = {}
    for name in filter(None, scope.split(" ")):
        if not SCOPE_TOKEN.match(name) or ("/" in name and not name.startswith(f"{prefix}/")):
            raise OAuthError("invalid_scope")
        names[name if "/" in name else f"{prefix}/{name}"] = None
    return tuple(names) or None


@cache
def _http() -> requests.Session:
    """One session per process, so warm invocations reuse the TLS connection to Cognito."""
    return requests.Session()
