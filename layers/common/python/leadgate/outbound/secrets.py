"""Each endpoint's signing secret: one Secrets Manager secret per endpoint, named
`leadgate/{stage}/webhook-endpoints/{tenant}/{id}`, holding `ConnectionSecrets` (its `signing_secret`, and during a
rotation's 24 h the previous one). Stored, cached, rotated and compare-and-swapped as connections' secrets are
(`leadgate.connections.secrets`); never in DynamoDB, logs or answers."""

from __future__ import annotations

import base64
import secrets as random

from pydantic import SecretStr

from leadgate import clock, errors
from leadgate.connections.secrets import ConnectionSecrets, StaleSecrets, default_store
from leadgate.settings import get_settings

PREFIX = "whsec_"


def new_secret() -> str:
    """Standard Webhooks' form: `whsec_` + base64 of 32 random bytes."""
    return PREFIX + base64.b64encode(random.token_bytes(32)).decode()


def secret_name(tenant_id: str, endpoint_id: int) -> str:
    return f"leadgate/{get_settings().stage}/webhook-endpoints/{tenant_id}/{endpoint_id}"


def create(tenant_id: str, endpoint_id: int, secret: str) -> str:
    """Stores a new endpoint's secret; returns its ARN."""
    return default_store().create(
        f"webhook-endpoint:{endpoint_id}",
        ConnectionSecrets(signing_secret=SecretStr(secret)),
        tenant_id=tenant_id,
        name=secret_name(tenant_id, endpoint_id),
    )


def signing_secrets(arn: str) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its 24 h overlap."""
    return default_store().read(arn).secrets.signing_secrets(clock.now())


def rotate(arn: str) -> str:
    """A new current secret; the old one keeps signing beside it for 24 h. Returns the new secret."""
    store = default_store()
    current = store.read(arn, force_fetch=True)
    secret = new_secret()
    try:
        rotated = current.secrets.rotated_signing_secret(secret, clock.now())
        store.replace(arn, rotated, expected_version=current.version_id)
    except StaleSecrets as exc:
        raise errors.Conflict("The secret was rotated by another request; read it again and retry.") from exc
    return secret


def delete(arn: str) -> None:
    default_store().delete(arn)
