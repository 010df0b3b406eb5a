"""POST /oauth2/token: client-credentials tokens, HOTLEAD style, issued by the user pool.

The HTTP edge: the form is read here and every refusal is an RFC 6749 §5.2 answer (`{"error",
"error_description"}`), not our envelope; `leadgate.auth.token` checks the request and the client.
"""

from aws_lambda_powertools import Logger
from pydantic import BaseModel

from leadgate.api import create_resolver, json_response
from leadgate.auth import token as tokens
from leadgate.envelopes import answer
from leadgate.observability import observed
from leadgate.ratelimit.token_guard import TokenAttemptsExceeded
from leadgate.settings import get_settings

app = create_resolver()
logger = Logger(child=True)


class TokenGrant(BaseModel):
    access_token: str
    expires_in: int
    token_type: str


class OAuthErrorBody(BaseModel):
    """RFC 6749 §5.2: what OAuth client libraries parse."""

    error: str
    error_description: str


def _oauth_error(description: str) -> dict:
    return answer(OAuthErrorBody, description)


@app.post(
    "/oauth2/token",
    responses={
        200: answer(TokenGrant, "A bearer token."),
        400: _oauth_error("The request is malformed (`invalid_request`, `unsupported_grant_type`, `invalid_scope`)."),
        401: _oauth_error("Client authentication failed (`invalid_client`)."),
        413: _oauth_error("The form is too large (`invalid_request`)."),
        429: _oauth_error("Too many token requests or failed authentications (`slow_down`)."),
        503: _oauth_error("The authorization server is unavailable; retry (`temporarily_unavailable`)."),
    },
)
def token():
    event = app.current_event
    try:
        form = tokens.read_form(event.body, event.is_base64_encoded)
        request = tokens.parse_token_request(event.headers, form, get_settings().scope_prefix)
        grant = tokens.issue(request, event.request_context.identity.source_ip or "")
    except TokenAttemptsExceeded as exceeded:
        logger.info("Token request limited", extra={"limited": exceeded.subject_kind, "reason": exceeded.reason})
        headers = {"Retry-After": str(exceeded.retry_after), **tokens.NO_STORE}
        return json_response(429, exceeded.body(), headers)
    except tokens.OAuthError as error:
        logger.info("Token refused", extra={"error": error.error, "reason": error.description})
        return json_response(error.status, error.body(), error.headers())
    return json_response(200, grant, tokens.NO_STORE)


lambda_handler = observed(app, capture_response=False)  # the response carries a credential
