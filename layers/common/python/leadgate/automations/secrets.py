"""An automation's own signing secret for its `send_webhook` actions: one Secrets Manager secret per automation,
named `leadgate/{stage}/automations/{tenant}/{id}`, stored as the webhook endpoints' are
(`leadgate.connections.secrets`, Standard Webhooks' `whsec_` form); made when an automation first has a
`send_webhook` action, answered that once, deleted with the automation."""

from __future__ import annotations

from pydantic import SecretStr

from leadgate import clock
from leadgate.connections.secrets import ConnectionSecrets, default_store
from leadgate.outbound.secrets import new_secret
from leadgate.settings import get_settings


def secret_name(tenant_id: str, automation_id: int) -> str:
    return f"leadgate/{get_settings().stage}/automations/{tenant_id}/{automation_id}"


def create(tenant_id: str, automation_id: int) -> tuple[str, str]:
    """A new secret stored; returns (its ARN, the secret)."""
    secret = new_secret()
    arn = default_store().create(
        f"automation:{automation_id}",
        ConnectionSecrets(signing_secret=SecretStr(secret)),
        tenant_id=tenant_id,
        name=secret_name(tenant_id, automation_id),
    )
    return arn, secret


def signing_secrets(arn: str) -> list[str]:
    return default_store().read(arn).secrets.signing_secrets(clock.now())


def delete(arn: str) -> None:
    default_store().delete(arn)
