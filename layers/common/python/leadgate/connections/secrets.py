"""Each connection's secrets: one Secrets Manager secret per connection, named
`leadgate/{stage}/connections/{connection_id}`, holding `ConnectionSecrets` as JSON.

- Secrets never go to DynamoDB (the registry holds the ARN), logs or answers: every value is a pydantic
  `SecretStr`, which prints as `**********`.
- Reads are cached per process for `CACHE_SECONDS` (`get_secrets`): a warm receiver or worker makes no Secrets
  Manager call per event. A cached value stays until it expires or `force_fetch=True`, so a caller that gets
  an auth failure with a cached credential reads again with `force_fetch=True` before giving up.
- Writes (`put_secrets`) are compare-and-swap on the version: the new value is stored as a new version under a
  pending label, then `AWSCURRENT` is moved to it *from the version the writer read*
  (`UpdateSecretVersionStage(RemoveFromVersionId=...)`, which Secrets Manager refuses when that version no
  longer holds `AWSCURRENT`). Of two workers that refreshed an OAuth token at once, one wins; the other gets
  `StaleSecrets`, re-reads, and uses the winner's tokens, so a rotated refresh token is never lost. The
  writer's `ClientRequestToken` makes a retried write of the same value idempotent. The cache is updated with
  what was written.

Powertools' parameters provider caches the value alone, without the version id this needs, hence
`leadgate.ttlcache` here.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, SecretStr

from leadgate import aws, clock
from leadgate.connections.models import Connection
from leadgate.settings import get_settings
from leadgate.ttlcache import TTLCache

CACHE_SECONDS = 300.0
CURRENT = "AWSCURRENT"
PENDING = "LEADGATE_PENDING"
# Standard Webhooks' multi-signature header lets senders sign with the old and the new secret meanwhile.
ROTATION_OVERLAP = timedelta(hours=24)


class StaleSecrets(RuntimeError):
    """Another writer changed the secret since it was read: read it again (`force_fetch=True`)."""


class MissingSecrets(LookupError):
    """The connection has no secret (no ARN, or the secret is gone)."""


class ConnectionSecrets(BaseModel):
    """What a connection may need; each provider uses some (docs/integrations.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signing_secret: SecretStr | None = None  # Standard Webhooks `whsec_...`
    previous_signing_secret: SecretStr | None = None  # accepted until previous_valid_until (rotation)
    previous_valid_until: datetime | None = None
    client_id: str | None = None  # OAuth app (HubSpot)
    client_secret: SecretStr | None = None  # HubSpot/Intercom app secret: signs webhooks, refreshes tokens
    refresh_token: SecretStr | None = None
    access_token: SecretStr | None = None  # OAuth access token, or a private-app / Intercom token
    access_token_expires_at: datetime | None = None
    api_token: SecretStr | None = None  # Chat Dealer X-CD-apitoken

    def to_secret_string(self) -> str:
        plain = {
            name: value.get_secret_value() if isinstance(value, SecretStr) else value
            for name, value in self.model_dump(exclude_none=True).items()
        }
        return json.dumps(plain, default=lambda moment: moment.isoformat(), separators=(",", ":"))

    @classmethod
    def from_secret_string(cls, text: str) -> ConnectionSecrets:
        return cls.model_validate(json.loads(text))

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The webhook signing secrets valid now: the current one, and the previous one during its overlap."""
        now = now or clock.now()
        secrets = [self.signing_secret.get_secret_value()] if self.signing_secret else []
        if self.previous_signing_secret and self.previous_valid_until and now < self.previous_valid_until:
            secrets.append(self.previous_signing_secret.get_secret_value())
        return secrets

    def rotated_signing_secret(self, new_secret: str, now: datetime | None = None) -> ConnectionSecrets:
        """The current signing secret becomes the previous one, valid for `ROTATION_OVERLAP` more."""
        now = now or clock.now()
        return self.model_copy(
            update={
                "signing_secret": SecretStr(new_secret),
                "previous_signing_secret": self.signing_secret,
                "previous_valid_until": now + ROTATION_OVERLAP if self.signing_secret else None,
            }
        )


@dataclass(frozen=True)
class VersionedSecrets:
    secrets: ConnectionSecrets
    version_id: str


def secret_name(stage: str, connection_id: str) -> str:
    return f"leadgate/{stage}/connections/{connection_id}"


class SecretStore:
    """Connection secrets on an explicit Secrets Manager client, with a per-store read cache."""

    def __init__(
        self, *, client: Any, stage: str, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.client = client
        self.stage = stage
        self._cache: TTLCache[VersionedSecrets] = TTLCache(ttl, clock=clock)

    def create(self, connection_id: str, secrets: ConnectionSecrets, *, tenant_id: str, name: str | None = None) -> str:
        """A new secret for a new connection (or, under `name`, for another owner such as a webhook endpoint);
        returns its ARN."""
        answer = self.client.create_secret(
            Name=name or secret_name(self.stage, connection_id),
            Description=f"leadgate {connection_id} of tenant {tenant_id}",
            SecretString=secrets.to_secret_string(),
            ClientRequestToken=str(uuid.uuid4()),
            Tags=[
                {"Key": "leadgate:connection", "Value": connection_id},
                {"Key": "leadgate:tenant", "Value": tenant_id},
            ],
        )
        self._remember(answer["ARN"], VersionedSecrets(secrets, answer["VersionId"]))
        return answer["ARN"]

    def read(self, arn: str, *, force_fetch: bool = False) -> VersionedSecrets:
        if not force_fetch:
            hit, cached = self._cache.get(arn)
            if hit and cached is not None:
                return cached
        try:
            # AWSCURRENT named explicitly: moto answers a bare GetSecretValue with the version last *put*, not
            # the one UpdateSecretVersionStage made current.
            answer = self.client.get_secret_value(SecretId=arn, VersionStage=CURRENT)
        except self.client.exceptions.ResourceNotFoundException as exc:
            raise MissingSecrets(arn) from exc
        versioned = VersionedSecrets(ConnectionSecrets.from_secret_string(answer["SecretString"]), answer["VersionId"])
        self._remember(arn, versioned)
        return versioned

    def replace(self, arn: str, secrets: ConnectionSecrets, *, expected_version: str) -> VersionedSecrets:
        """Stores `secrets` as the current version if the current one is still `expected_version` (see module)."""
        new_version = str(uuid.uuid4())
        self.client.put_secret_value(
            SecretId=arn,
            SecretString=secrets.to_secret_string(),
            ClientRequestToken=new_version,
            VersionStages=[PENDING],
        )
        try:
            self.client.update_secret_version_stage(
                SecretId=arn, VersionStage=CURRENT, RemoveFromVersionId=expected_version, MoveToVersionId=new_version
            )
        except self.client.exceptions.InvalidParameterException as exc:
            self.forget(arn)
            raise StaleSecrets(arn) from exc
        versioned = VersionedSecrets(secrets, new_version)
        self._remember(arn, versioned)
        return versioned

    def delete(self, arn: str) -> None:
        """Immediate deletion (the CLI's clean-up of a connection that was never stored)."""
        self.client.delete_secret(SecretId=arn, ForceDeleteWithoutRecovery=True)
        self.forget(arn)

    def forget(self, arn: str) -> None:
        self._cache.forget(arn)

    def _remember(self, arn: str, versioned: VersionedSecrets) -> None:
        self._cache.put(arn, versioned)


_store: SecretStore | None = None
_store_lock = threading.Lock()


def default_store() -> SecretStore:
    """The process's store, on leadgate.aws's client (built again, cache and all, after `aws.reset_clients()`)."""
    global _store  # noqa: PLW0603 - one store (and cache) per Lambda instance, built on first use
    client = aws.secretsmanager()
    if _store is None or _store.client is not client:
        with _store_lock:
            if _store is None or _store.client is not client:
                _store = SecretStore(client=client, stage=get_settings().stage)
    return _store


def _arn(connection: Connection) -> str:
    if not connection.secret_arn:
        raise MissingSecrets(connection.connection_id)
    return connection.secret_arn


def get_secrets(connection: Connection, force_fetch: bool = False) -> VersionedSecrets:
    """The connection's secrets and their version (cached; `force_fetch=True` reads Secrets Manager)."""
    return default_store().read(_arn(connection), force_fetch=force_fetch)


def put_secrets(connection: Connection, secrets: ConnectionSecrets, *, expected_version: str) -> VersionedSecrets:
    """Replaces the connection's secrets if nobody did since `expected_version` was read, else `StaleSecrets`."""
    return default_store().replace(_arn(connection), secrets, expected_version=expected_version)
