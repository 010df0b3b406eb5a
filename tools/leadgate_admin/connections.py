"""`leadgate connections ...`: create, list, show, disable connections and rotate their signing secret.

A connection is a registry item (`leadgate.connections.registry`) plus one Secrets Manager secret
(`leadgate.connections.secrets`). Creation is the API's (`leadgate.connections.manage.ConnectionManager`, the one
implementation): the options become the API's body, checked by the same models. Secrets are printed at most
once (the generated Standard Webhooks signing secret) and never listed or shown.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from leadgate import errors
from leadgate.connections.manage import ConnectionManager, new_signing_secret
from leadgate.connections.models import Connection, Provider
from leadgate.connections.registry import ConnectionRegistry, UnknownConnection
from leadgate.connections.requests import IntegrationWrite
from leadgate.connections.secrets import SecretStore

# provider -> (settings options, secret options required, alternatives of which exactly one is required)
PROVIDER_OPTIONS: dict[Provider, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    Provider.HUBSPOT: (("portal_id", "app_id"), ("client_id", "client_secret"), ("refresh_token", "access_token")),
    Provider.INTERCOM: (("app_id",), ("client_secret", "access_token"), ()),
    Provider.CHATDEALER: (("domain", "field_map"), ("api_token",), ()),
    Provider.STANDARD: ((), (), ()),
}
SETTING_OPTIONS = ("portal_id", "app_id", "domain", "field_map")
SECRET_OPTIONS = ("client_id", "client_secret", "refresh_token", "access_token", "api_token")


class ConnectionSpecError(ValueError):
    """A connection cannot be created or changed as asked."""


def read_secret_option(value: str, *, stdin: Callable[[], str] | None = None) -> str:
    """`-` reads standard input, `@path` a file (trailing newline dropped), anything else is the value."""
    if value == "-":
        text = stdin() if stdin is not None else sys.stdin.read()
    elif value.startswith("@"):
        try:
            text = Path(value[1:]).expanduser().read_text(encoding="utf-8")
        except OSError as exc:
            raise ConnectionSpecError(f"Cannot read {value[1:]!r}: {exc.strerror}.") from exc
    else:
        return value
    text = text.rstrip("\r\n")
    if not text:
        raise ConnectionSpecError(f"{'Standard input' if value == '-' else value[1:]!r} is empty.")
    return text


def _option(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_options(provider: Provider, given: Mapping[str, Any]) -> None:
    settings, required, one_of = PROVIDER_OPTIONS[provider]
    allowed = {*settings, *required, *one_of}
    stray = [
        name for name in (*SETTING_OPTIONS, *SECRET_OPTIONS) if given.get(name) is not None and name not in allowed
    ]
    if stray:
        raise ConnectionSpecError(f"{', '.join(map(_option, stray))} do(es) not apply to provider {provider.value}.")
    missing = [name for name in (*settings, *required) if given.get(name) is None]
    if missing:
        raise ConnectionSpecError(f"Provider {provider.value} needs {', '.join(map(_option, missing))}.")
    if one_of and sum(given.get(name) is not None for name in one_of) != 1:
        raise ConnectionSpecError(
            f"Provider {provider.value} needs exactly one of {' or '.join(map(_option, one_of))}."
        )
    if sum(given.get(name) == "-" for name in SECRET_OPTIONS) > 1:
        raise ConnectionSpecError("Only one secret option can read standard input (-).")


def _json_option(name: str, text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise ConnectionSpecError(f"{_option(name)} is not JSON: {exc}.") from exc


def _readable(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'value'}: {error['msg']}" for error in exc.errors()
    )


@dataclass
class ConnectionAdmin:
    registry: ConnectionRegistry
    secrets: SecretStore
    api_url: str

    def view(self, connection: Connection) -> dict[str, Any]:
        """The CLI's view: the public fields, `tenant` and the URL the provider delivers webhooks to."""
        public = connection.public()
        return {
            "connection_id": public.pop("connection_id"),
            "tenant": public.pop("tenant_id"),
            "provider": public.pop("provider"),
            "webhook_url": f"{self.api_url.rstrip('/')}/webhooks/{connection.connection_id}",
            **public,
        }

    def create(
        self,
        tenant: str,
        provider: str,
        options: Mapping[str, Any],
        *,
        base_url: str | None = None,
        stdin: Callable[[], str] | None = None,
    ) -> dict[str, Any]:
        try:
            kind = Provider(provider)
        except ValueError as exc:
            choices = ", ".join(member.value for member in Provider)
            raise ConnectionSpecError(f"Unknown provider {provider!r}; choose {choices}.") from exc
        _check_options(kind, options)
        settings = {name: options[name] for name in SETTING_OPTIONS if options.get(name) is not None}
        if isinstance(settings.get("field_map"), str):
            settings["field_map"] = _json_option("field_map", settings["field_map"])
        values = {
            name: read_secret_option(options[name], stdin=stdin)
            for name in SECRET_OPTIONS
            if options.get(name) is not None
        }
        spec = {"provider": kind.value, "settings": settings, "base_url": base_url, "secrets": values or None}
        try:
            body = IntegrationWrite.model_validate(spec)
        except ValidationError as exc:
            raise ConnectionSpecError(f"Invalid connection: {_readable(exc)}.") from exc
        manager = ConnectionManager(
            registry=self.registry, secrets=self.secrets, schedules=None, target=None, check_urls=False
        )
        try:
            created = manager.create(tenant, body)
        except errors.DomainError as exc:
            raise ConnectionSpecError(f"Invalid connection: {exc.message} {exc.errors}".strip()) from exc
        signing_secret = created.signing_secret
        return {**self.view(created.connection), **({"signing_secret": signing_secret} if signing_secret else {})}

    def list(self, tenant: str | None = None) -> list[dict[str, Any]]:
        return [self.view(connection) for connection in self.registry.list_all(tenant)]

    def show(self, connection_id: str) -> dict[str, Any]:
        return self.view(self._existing(connection_id))

    def disable(self, connection_id: str) -> dict[str, Any]:
        return self.view(self.registry.disable(connection_id))

    def rotate_secret(self, connection_id: str) -> dict[str, Any]:
        """Standard Webhooks: a new signing secret, printed once; the old one stays valid for 24 hours."""
        connection = self._existing(connection_id)
        if connection.provider is not Provider.STANDARD:
            raise ConnectionSpecError(
                f"rotate-secret generates Standard Webhooks secrets; a {connection.provider.value} connection's "
                "secrets come from the provider's app settings."
            )
        if not connection.secret_arn:
            raise ConnectionSpecError(f"Connection {connection_id} has no secret.")
        current = self.secrets.read(connection.secret_arn, force_fetch=True)
        signing_secret = new_signing_secret()
        rotated = current.secrets.rotated_signing_secret(signing_secret)
        self.secrets.replace(connection.secret_arn, rotated, expected_version=current.version_id)
        return {
            **self.view(connection),
            "signing_secret": signing_secret,
            "previous_valid_until": rotated.previous_valid_until.isoformat() if rotated.previous_valid_until else None,
        }

    def _existing(self, connection_id: str) -> Connection:
        connection = self.registry.get(connection_id, fresh=True)
        if connection is None:
            raise UnknownConnection(connection_id)
        return connection
