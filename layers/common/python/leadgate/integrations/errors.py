"""How a call to another system failed: worth retrying later (transient) or not (permanent).

The webhook worker and the sync runs decide from these alone: a transient error is raised so that SQS (or
the next run) retries, a permanent one is recorded and dropped."""

from __future__ import annotations


class IntegrationError(Exception):
    """A provider call or an event could not be completed."""


class TransientError(IntegrationError):
    """Throttled (429), a 5xx, a timeout or DynamoDB throttling: retrying later can succeed.

    `retry_after` (seconds) is the provider's `Retry-After` when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthenticationFailed(TransientError):
    """The provider refused the connection's credentials even after a token refresh. Transient on purpose:
    the events wait in the dead-letter queue until the connection's credentials are fixed, then are redriven."""


class PermanentError(IntegrationError):
    """Retrying cannot help: the request or the record is wrong (validation, 4xx)."""


class NotFound(PermanentError):
    """The record does not exist at the provider (never did, or was deleted)."""
