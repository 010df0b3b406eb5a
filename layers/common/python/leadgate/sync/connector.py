"""The one small interface every connector implements, and what flows through it.

A connector is built from a `ConnectorConfig` (the connection registry's entry and its secrets, passed in,
never looked up here) and yields `Page`s of changes since a checkpoint:

    connector.fetch_changes(checkpoint, budget) -> Iterator[Page]

Each page carries its records and the checkpoint AFTER it: a run that applies the page and saves that
checkpoint can stop there, and the next run resumes exactly after it. Checkpoints are small JSON objects
only the connector understands. `push(leads)` is optional (HubSpot's, later).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from leadgate.clock import Budget
from leadgate.integrations.errors import PermanentError

Checkpoint = Mapping[str, Any]


@dataclass(frozen=True)
class ConnectorConfig:
    """What a connector needs to talk to one connection's provider. `secrets` never reach logs or records."""

    tenant_id: str
    connection_id: str
    provider: str
    base_url: str
    settings: Mapping[str, Any] = field(default_factory=dict)
    secrets: Mapping[str, str] = field(default_factory=dict, repr=False)
    created_at: str = ""  # the connection's creation (ISO 8601): a first push sends leads changed since


@dataclass(frozen=True)
class Record:
    """One contact as the provider has it now.

    `fields` are lead fields (leadgate's names, values as the provider spells them); `payload` is the
    provider's object as received, kept on the inquiry; `updated_at` is the provider's change time
    (ISO 8601), used to refuse an older version over a newer one."""

    external_id: str
    fields: Mapping[str, Any]
    payload: Any
    updated_at: str | None = None


@dataclass(frozen=True)
class Page:
    records: Sequence[Record]
    checkpoint: Checkpoint  # where the next fetch starts once this page is applied
    has_more: bool  # False on the last page of the changes available now


@runtime_checkable
class Connector(Protocol):
    config: ConnectorConfig

    def fetch_changes(self, checkpoint: Checkpoint | None, budget: Budget) -> Iterator[Page]: ...


@dataclass(frozen=True)
class PushResult:
    """What the provider did with one lead pushed to it: its id there, or why it refused."""

    lead_id: str
    external_id: str | None = None
    error: str | None = None


@runtime_checkable
class PushingConnector(Connector, Protocol):
    """A connector that also sends leads to its provider (HubSpot's batch upsert, with the merge)."""

    def push(self, leads: Sequence[Any], budget: Budget) -> list[PushResult]: ...


class ConnectorError(PermanentError):
    """The provider refused the run or answered what the connector cannot use; the message is safe to record
    (no secrets, no PII). Throttling, failures past the retries, a budget run out and refused credentials are
    the transport's errors (`leadgate.integrations.errors`), which a connector lets through."""
