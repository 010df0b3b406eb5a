"""The one small interface every connector implements, and what flows through it.

A connector is built from a `ConnectorConfig` (the connection registry's entry and its secrets, passed in,
never looked up here) and yields `Page`s of changes since a checkpoint:

    connector.fetch_changes(checkpoint, budget) -> Iterator[Page]

Each page carries its records and the checkpoint AFTER it: a run that applies the page and saves that
checkpoint can stop there, and the next run resumes exactly after it. Checkpoints are small JSON objects
only the connector understands. `push(leads)` is optional (HubSpot's, later).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

Clock = Callable[[], float]
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


class Budget:
    """A run's time budget: the deadline it must stop before, on the run's clock."""

    def __init__(self, clock: Clock, seconds: float) -> None:
        self.clock = clock
        self.deadline = clock() + seconds

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def allows(self, seconds: float) -> bool:
        """Whether `seconds` more (a wait, a page) still fit in the budget."""
        return self.remaining() > seconds


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


class ConnectorError(Exception):
    """The provider refused or failed the run; the message is safe to record (no secrets, no PII)."""


class ConnectionUnauthorized(ConnectorError):
    """The provider answered 401 (after a token refresh, where the provider has one): the credentials are
    no longer valid. The run fails with this reason; the connection's schedule is to be disabled."""


class ProviderUnavailable(ConnectorError):
    """5xx, timeouts or throttling went on past the run's retry allowance or its time budget."""


class OutOfBudget(Exception):
    """A wait the provider asked for (Retry-After, an exhausted rate limit) does not fit in the run's budget:
    the run stops at the page boundary it is at, and the next run carries on."""
