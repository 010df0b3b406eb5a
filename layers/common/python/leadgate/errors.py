"""What the domain raises when it refuses or cannot do something, in its own words: no HTTP status here.

Each error carries the envelope's `code`, a message and, where fields are to blame, `errors` (`{field path:
[messages]}`); some add what the client needs to act (`extra`, `retry_after`, `etag`). `leadgate.api` maps each
type to its status in one table; the webhook worker and sync decide "retry or record" from the type alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    code = "SERVER_ERROR"
    default_message = "An unexpected error occurred."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        code: str | None = None,
        extra: Mapping[str, object] | None = None,
        retry_after: int | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.errors = {field: list(msgs) for field, msgs in (errors or {}).items()}
        self.extra = dict(extra or {})
        self.retry_after = retry_after
        if code:
            self.code = code
        super().__init__(self.message)


class NotFound(DomainError):
    code, default_message = "NOT_FOUND", "The record does not exist."


class Gone(DomainError):
    """The record existed and was erased for good (a lead's erasure: docs/privacy.md); its id answers this."""

    code, default_message = "GONE", "The record was erased."


class Conflict(DomainError):
    """The stored data changed under the request (other writers won): trying again may succeed, after
    `retry_after` seconds when it is given."""

    code, default_message = "CONFLICT", "The request conflicts with the current state."


class ResourceInUse(DomainError):
    """A workspace object (pipeline, stage, user, tag) that leads still use cannot be deleted: `extra` gives
    `lead_count`; archiving (or deactivating, or reassigning) is the way."""

    code, default_message = "RESOURCE_IN_USE", "Leads still use this resource; archive it instead."

    def __init__(self, lead_count: int, message: str | None = None) -> None:
        super().__init__(message, extra={"lead_count": lead_count})


class DuplicateLead(DomainError):
    """The email or phone number belongs to another lead: `extra` names it (`lead_id`, `matches`)."""

    code, default_message = "DUPLICATE_LEAD", "A lead with this email or phone number already exists."

    def __init__(self, matches: Mapping[str, str]) -> None:
        super().__init__(
            errors={kind: [f"The {kind} already belongs to lead {lead_id}."] for kind, lead_id in matches.items()},
            extra={"lead_id": matches.get("email") or next(iter(matches.values())), "matches": dict(matches)},
        )


class AmbiguousDuplicate(DomainError):
    """The email belongs to one lead and the phone number to another: the one answer, lookup's and intake's."""

    code, default_message = (
        "DUPLICATE_AMBIGUOUS",
        "The email belongs to one lead and the phone number to another; nothing was written.",
    )

    def __init__(self, matches: Mapping[str, str], message: str | None = None) -> None:
        super().__init__(
            message,
            errors={kind: [f"Belongs to lead {lead_id}."] for kind, lead_id in matches.items()},
            extra={"lead_ids": dict(matches)},
        )


class PreconditionFailed(DomainError):
    """If-Match does not hold; `etag` is the record's current one when it is known."""

    code, default_message = "PRECONDITION_FAILED", "The If-Match precondition failed."

    def __init__(self, message: str | None = None, *, etag: str | None = None) -> None:
        super().__init__(message)
        self.etag = etag


class ValidationFailed(DomainError):
    code, default_message = "VALIDATION_FAILED", "The given data was invalid."


class InvalidPosition(DomainError):
    """A list position the list did not hand out (`INVALID_CURSOR`) or cannot reach by number."""

    code, default_message = "INVALID_CURSOR", "The cursor is not valid for this request."


class UnreadableRecord(DomainError):
    """A stored item that cannot be read (docs/text.md); reported, never retried into success."""

    code = "UNREADABLE_RECORD"


class PayloadTooLarge(DomainError):
    """Input over its size limit (a request body, or one item of a batch)."""

    code, default_message = "PAYLOAD_TOO_LARGE", "The request body is too large."


class RateLimited(DomainError):
    code, default_message = "RATE_LIMITED", "Too many requests."


class SignatureRefused(DomainError):
    """A webhook delivery whose sender could not be authenticated (unknown connection or bad signature)."""

    code, default_message = "INVALID_SIGNATURE", "The webhook signature is missing or invalid."


class MalformedInput(DomainError):
    """Input that is not what its sender sends (a provider's delivery in another shape)."""

    code, default_message = "BAD_REQUEST", "The request is malformed."


class Unavailable(DomainError):
    """A dependency (DynamoDB, Cognito, the queue, ...) was throttled, unreachable or too slow; retry after
    `retry_after` seconds. `leadgate.dependencies` decides what counts."""

    code = "SERVICE_UNAVAILABLE"
    default_message = "The service is temporarily unavailable; retry after the time in Retry-After."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, retry_after=retry_after)


class IdempotencyKeyReused(DomainError):
    code, default_message = "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was already used with a different request."


class IdempotencyInProgress(DomainError):
    code = "IDEMPOTENCY_IN_PROGRESS"
    default_message = "A request with this Idempotency-Key is still being processed; retry shortly."
