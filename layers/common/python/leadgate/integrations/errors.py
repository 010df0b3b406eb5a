"""How a call to another system failed: worth retrying later (transient) or not (permanent).

The one error family of outbound calls (`leadgate.outbound`), the provider clients and the sync connectors.
The webhook worker and the sync runs decide from these alone: a transient error is raised so that SQS (or
the next run) retries, a permanent one is recorded and dropped."""

from __future__ import annotations


class IntegrationError(Exception):
    """A provider call or an event could not be completed. `status` is the provider's HTTP status when it
    answered; `retry_after` (seconds) is what it asked us to wait (`Retry-After`, a rate-limit reset)."""

    def __init__(self, message: str, *, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


class TransientError(IntegrationError):
    """Throttled (429), a 5xx, a timeout or DynamoDB throttling: retrying later can succeed."""


class OutOfBudget(TransientError):
    """A wait (a retry, Retry-After, an exhausted rate limit) does not fit in the time budget: not taken. A sync
    run stops at the page boundary it is at and the next run carries on; a queued event is delivered again."""


class AuthenticationFailed(TransientError):
    """The provider refused the connection's credentials even after a token refresh. Transient on purpose:
    the events wait in the dead-letter queue until the connection's credentials are fixed, then are redriven;
    a sync run fails and disables the connection's schedule."""


class PermanentError(IntegrationError):
    """Retrying cannot help: the request or the record is wrong (validation, 4xx)."""


class ProviderNotFound(PermanentError):
    """The record does not exist at the provider (never did, or was deleted)."""
