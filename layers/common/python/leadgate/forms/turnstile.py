"""Cloudflare Turnstile, per form (`turnstile: true`): the submission carries the widget's token
(`cf-turnstile-response`) and the server asks Cloudflare whether it is good before anything is stored.

The secret key is the tenant's, in Secrets Manager (`leadgate/{stage}/turnstile/{tenant}`, a SecretString,
put there by the operator) and cached per instance for five minutes; it is never logged or answered. The
verify URL is a setting (`TURNSTILE_VERIFY_URL`, Cloudflare's by default), so tests run a fake verifier.
The call goes through the one outbound transport (leadgate.integrations.transport), loaded only when a form
uses Turnstile. A refused or missing token is 422 naming the field; Cloudflare unreachable is 503.
"""

from __future__ import annotations

from typing import Any

from leadgate import aws, errors
from leadgate.forms.values import TURNSTILE_FIELD
from leadgate.settings import get_settings
from leadgate.ttlcache import TTLCache

SECRET_TTL_SECONDS = 300
REFUSED = "The anti-robot check failed; reload the page and try again."

_secrets: TTLCache[str] = TTLCache(SECRET_TTL_SECONDS)


def secret_name(stage: str, tenant_id: str) -> str:
    return f"leadgate/{stage}/turnstile/{tenant_id}"


def verify(tenant_id: str, token: str | None, address: str | None) -> None:
    """Raises ValidationFailed unless Cloudflare accepts the token; Unavailable when it cannot be asked."""
    if not token:
        raise errors.ValidationFailed(errors={TURNSTILE_FIELD: [REFUSED]})
    # Loaded here: requests and tenacity stay out of the public route's cold start unless a form needs them.
    from leadgate.integrations.errors import IntegrationError
    from leadgate.integrations.transport import Transport

    form: dict[str, Any] = {"secret": _secret(tenant_id), "response": token}
    if address:
        form["remoteip"] = address
    try:
        answer = Transport("turnstile", call_seconds=5.0).post(get_settings().turnstile_verify_url, data=form)
    except IntegrationError as exc:
        raise errors.Unavailable(5, "The anti-robot check is unavailable; try again shortly.") from exc
    outcome = answer.json() if answer.ok else {}
    if not (isinstance(outcome, dict) and outcome.get("success") is True):
        raise errors.ValidationFailed(errors={TURNSTILE_FIELD: [REFUSED]})


def _secret(tenant_id: str) -> str:
    found, secret = _secrets.get(tenant_id)
    if not found or secret is None:
        name = secret_name(get_settings().stage, tenant_id)
        secret = aws.secretsmanager().get_secret_value(SecretId=name)["SecretString"]
        _secrets.put(tenant_id, secret)
    return secret
