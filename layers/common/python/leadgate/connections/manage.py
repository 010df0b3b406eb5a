"""Creating, changing and deleting connections, and starting their sync runs: the one implementation behind the
API's `/api/v1/integrations` and the operator CLI's `leadgate connections` (docs/integrations.md).

- A connection is a registry item plus one Secrets Manager secret. Creation writes the secret first and the item
  second, and deletes the secret again if the item cannot be written, so a failed create leaves nothing behind.
  A Standard Webhooks connection's signing secret is generated here and answered once (`Created`).
- Secrets are write-only: a write replaces the provider's credentials in the secret (compare-and-swap on the
  version read, `leadgate.connections.secrets`) and records which fields are set (`secret_fields`), never
  their values, on the item.
- `sync_every` drives the connection's EventBridge Scheduler schedule (`apply_schedule`, the CLI's
  `set-schedule` too); a provider that cannot sync has none (422).
- Changes are guarded by the item's version (the ETag; If-Match), and scoped to the caller's tenant: another
  tenant's connection is a 404, as a missing one.
- A `base_url` given over the API is checked against SSRF when saved (`check_urls`); the operator's CLI is
  trusted with the local stack's loopback fakes.
"""

from __future__ import annotations

import base64
import secrets as random
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError

from leadgate import aws, clock, errors, ssrf
from leadgate.connections.credentials import CREDENTIALS_MODELS, GENERATED_FIELDS
from leadgate.connections.models import SETTINGS_MODELS, Connection, Provider
from leadgate.connections.registry import ConnectionRegistry, UnknownConnection
from leadgate.connections.requests import IntegrationPatch, IntegrationWrite
from leadgate.connections.secrets import ConnectionSecrets, SecretStore, default_store
from leadgate.connections.service import NO_SUCH_CONNECTION, tenant_connection
from leadgate.connections.types import syncs
from leadgate.leads.ids import new_ulid
from leadgate.settings import get_settings
from leadgate.sync.runs import RunRecord, iso, put_run
from leadgate.sync.schedules import Schedules, ScheduleTarget
from leadgate.validation import field_errors

SIGNING_SECRET_PREFIX = "whsec_"
Model = TypeVar("Model", bound=BaseModel)


def new_signing_secret() -> str:
    """`whsec_` + base64 of 32 random bytes, as Standard Webhooks specifies."""
    return SIGNING_SECRET_PREFIX + base64.b64encode(random.token_bytes(32)).decode()


@dataclass(frozen=True)
class Created:
    connection: Connection
    signing_secret: str | None  # a Standard Webhooks connection's, answered this once


def apply_schedule(
    registry: ConnectionRegistry,
    schedules: Schedules | None,
    target: ScheduleTarget | None,
    connection: Connection,
    every: str | None,
    *,
    expected_version: int | None = None,
) -> Connection:
    """Records `sync_every` (clearing a `sync_disabled_reason`) and creates, changes or deletes the schedule."""
    if every is not None and not syncs(connection.provider):
        raise errors.ValidationFailed(
            errors={"sync_every": [f"A {connection.provider.value} integration only receives webhooks."]}
        )
    changed = registry.set_fields(
        connection.connection_id, expected_version=expected_version, sync_every=every, sync_disabled_reason=None
    )
    if schedules is None:
        raise errors.Unavailable("This stack has no sync schedule group.")
    if every is None:
        schedules.delete(connection.connection_id)
    else:
        if target is None:
            raise errors.Unavailable("This stack has no sync target to schedule runs with.")
        schedules.put(connection.connection_id, every, target)
    return changed


class ConnectionManager:
    def __init__(
        self,
        *,
        registry: ConnectionRegistry,
        secrets: SecretStore,
        schedules: Schedules | None,
        target: ScheduleTarget | None,
        check_urls: bool,
    ) -> None:
        self.registry = registry
        self.secrets = secrets
        self.schedules = schedules
        self.target = target
        self.check_urls = check_urls

    @classmethod
    def from_settings(cls) -> ConnectionManager:
        """The API's: the functions' registry and secret store, the stack's sync group and target, URLs checked."""
        settings = get_settings()
        target = (
            ScheduleTarget(settings.sync_function_arn, settings.sync_scheduler_role_arn, settings.sync_dead_letter_arn)
            if settings.sync_function_arn
            else None
        )
        return cls(
            registry=ConnectionRegistry.from_settings(),
            secrets=default_store(),
            schedules=Schedules(aws.client("scheduler"), settings.sync_schedule_group),
            target=target,
            check_urls=True,
        )

    # ------------------------------------------------------------------ reads

    def get(self, tenant_id: str, connection_id: str) -> Connection:
        return tenant_connection(tenant_id, connection_id, self.registry)

    # ------------------------------------------------------------------ writes

    def create(self, tenant_id: str, body: IntegrationWrite) -> Created:
        provider = body.provider
        if body.secrets is None and provider is not Provider.STANDARD:
            raise errors.ValidationFailed(errors={"secrets": ["Field required"]})
        settings = _parse(SETTINGS_MODELS[provider], body.settings, "settings")
        values = _parse(CREDENTIALS_MODELS[provider.value], body.secrets or {}, "secrets").values()
        if body.sync_every is not None and not syncs(provider):
            raise errors.ValidationFailed(
                errors={"sync_every": [f"A {provider.value} integration only receives webhooks."]}
            )
        self._check_url(body.base_url)
        try:
            connection = Connection(tenant_id=tenant_id, provider=provider, settings=settings, base_url=body.base_url)
        except ValidationError as exc:
            raise errors.ValidationFailed(errors=field_errors(list(exc.errors()))) from exc
        signing_secret = new_signing_secret() if provider is Provider.STANDARD else None
        if signing_secret:
            values["signing_secret"] = signing_secret
        arn = self.secrets.create(connection.connection_id, ConnectionSecrets(**values), tenant_id=tenant_id)
        try:
            stored = self.registry.put(
                connection.model_copy(update={"secret_arn": arn, "secret_fields": tuple(values)})
            )
        except Exception:
            self.secrets.delete(arn)  # no registry item, no connection: leave no orphaned secret
            raise
        if body.sync_every is not None:
            stored = apply_schedule(self.registry, self.schedules, self.target, stored, body.sync_every)
        return Created(stored, signing_secret)

    def replace(self, tenant_id: str, connection_id: str, body: IntegrationWrite, if_match: str | None) -> Connection:
        current = self.get(tenant_id, connection_id)
        version = _expected_version(current, if_match)
        if body.provider is not current.provider:
            raise errors.ValidationFailed(errors={"provider": ["The provider of an integration cannot change."]})
        self._check_url(body.base_url)
        settings = _parse(SETTINGS_MODELS[current.provider], body.settings, "settings")
        credentials = None if body.secrets is None else self._credentials(current.provider, body.secrets)
        return self._write(
            current,
            version=version,
            settings=settings.model_dump(),
            base_url=body.base_url,
            credentials=credentials,
            sync_every=body.sync_every,
            given_schedule=True,
        )

    def patch(self, tenant_id: str, connection_id: str, body: IntegrationPatch, if_match: str | None) -> Connection:
        current = self.get(tenant_id, connection_id)
        version = _expected_version(current, if_match)
        given = body.model_fields_set
        settings = current.settings.model_dump()
        if body.settings is not None:
            settings = {name: value for name, value in (settings | body.settings).items() if value is not None}
        base_url = body.base_url if "base_url" in given else current.base_url
        if "base_url" in given:
            self._check_url(body.base_url)
        credentials = None
        if body.secrets is not None:
            merged = self._current_credentials(current) | body.secrets
            credentials = self._credentials(current.provider, {k: v for k, v in merged.items() if v is not None})
        sync_every = body.sync_every if "sync_every" in given else current.sync_every
        return self._write(
            current,
            version=version,
            settings=settings,
            base_url=base_url,
            credentials=credentials,
            sync_every=sync_every,
            given_schedule="sync_every" in given,
        )

    def delete(self, tenant_id: str, connection_id: str, if_match: str | None) -> None:
        """The item first (the receiver refuses the connection within its cache time), then its schedule and
        secret: a failure between leaves only what nothing can reach any more."""
        current = self.get(tenant_id, connection_id)
        try:
            self.registry.delete(connection_id, expected_version=_expected_version(current, if_match))
        except UnknownConnection as exc:
            raise errors.NotFound(NO_SUCH_CONNECTION) from exc
        if self.schedules is not None:
            self.schedules.delete(connection_id)
        if current.secret_arn:
            self.secrets.delete(current.secret_arn)

    def start_run(self, tenant_id: str, connection_id: str) -> RunRecord:
        """A sync run now: recorded `queued`, started by a one-time schedule with the run's id (the sync function
        takes that id). A connection that cannot sync, is disabled or has no sync target is refused."""
        connection = self.get(tenant_id, connection_id)
        if not syncs(connection.provider):
            raise errors.Conflict(f"A {connection.provider.value} integration only receives webhooks: nothing to sync.")
        if not connection.enabled:
            raise errors.Conflict("The integration is disabled.")
        if self.target is None or self.schedules is None:
            raise errors.Unavailable("This stack has no sync target to start runs with.")
        now = clock.timestamp()
        record = RunRecord(
            run_id=new_ulid(clock.now()),
            tenant_id=tenant_id,
            connection_id=connection_id,
            provider=connection.provider.value,
            status="queued",
            started_at=iso(now),
        )
        put_run(record, now=now)
        self.schedules.run_now(connection_id, record.run_id, self.target, now)
        return record

    # ------------------------------------------------------------------ helpers

    def _write(
        self,
        current: Connection,
        *,
        version: int,
        settings: dict[str, Any],
        base_url: str | None,
        credentials: dict[str, str] | None,
        sync_every: str | None,
        given_schedule: bool,
    ) -> Connection:
        fields: dict[str, Any] = {"settings": settings, "base_url": base_url}
        if credentials is not None:
            fields["secret_fields"] = self._replace_credentials(current, credentials)
        try:
            changed = self.registry.set_fields(current.connection_id, expected_version=version, **fields)
        except ValidationError as exc:
            raise errors.ValidationFailed(errors=field_errors(list(exc.errors()))) from exc
        # A sync switched off by the provider's refusal starts again when the client sets a schedule or new
        # credentials (as `set-schedule` does), not on any other change.
        resumed = current.sync_disabled_reason is not None and (given_schedule or credentials is not None)
        if sync_every != current.sync_every or (sync_every and resumed):
            changed = apply_schedule(
                self.registry, self.schedules, self.target, changed, sync_every, expected_version=changed.version
            )
        return changed

    def _replace_credentials(self, current: Connection, credentials: dict[str, str]) -> tuple[str, ...]:
        """The provider's credentials replaced in the secret; what a connection generated itself (a Standard
        Webhooks signing secret) kept. Tokens earned with the old credentials (a refreshed access token) go."""
        if not current.secret_arn:
            raise errors.Conflict("The integration has no secret to change.")
        read = self.secrets.read(current.secret_arn, force_fetch=True)
        kept = read.secrets.model_dump(
            include={"signing_secret", "previous_signing_secret", "previous_valid_until"}, exclude_none=True
        )
        self.secrets.replace(
            current.secret_arn, ConnectionSecrets(**kept, **credentials), expected_version=read.version_id
        )
        return (*credentials, *GENERATED_FIELDS.get(current.provider.value, ()))

    def _current_credentials(self, current: Connection) -> dict[str, Any]:
        """The credentials the client gave last (`secret_fields`), from the secret: what a PATCH merges onto."""
        if not current.secret_arn:
            return {}
        stored = self.secrets.read(current.secret_arn, force_fetch=True).secrets
        plain = {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in stored
            if value is not None
        }
        fields = CREDENTIALS_MODELS[current.provider.value].model_fields
        return {name: plain[name] for name in current.secret_fields if name in fields and name in plain}

    def _credentials(self, provider: Provider, values: dict[str, Any]) -> dict[str, str]:
        return _parse(CREDENTIALS_MODELS[provider.value], values, "secrets").values()

    def _check_url(self, url: str | None) -> None:
        if url is not None and self.check_urls:
            ssrf.check_url(url, field="base_url", allow_loopback=get_settings().allow_loopback_urls)


def _parse(model: type[Model], values: dict[str, Any], field: str) -> Model:
    """`values` as the provider's `model`, or ValidationFailed naming `field.<name>` (`field` for the whole)."""
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        found = field_errors(list(exc.errors()))
        paths = {name: field if name == "body" else f"{field}.{name}" for name in found}
        raise errors.ValidationFailed(errors={paths[name]: messages for name, messages in found.items()}) from exc


def _expected_version(current: Connection, if_match: str | None) -> int:
    """The version a write is conditioned on: the one read, once If-Match (when given) names its ETag or `*`."""
    if if_match is not None:
        etags = [etag.strip() for etag in if_match.split(",")]
        if "*" not in etags and current.etag not in etags:
            raise errors.PreconditionFailed(f"The integration's ETag is {current.etag}.", etag=current.etag)
    return current.version
