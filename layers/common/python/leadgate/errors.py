"""The API's error types. Services raise these; `leadgate.api` renders them in the envelope."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class ApiError(Exception):
    status = 500
    code = "SERVER_ERROR"
    default_message = "An unexpected error occurred."

    def __init__(
        self,
        message: str | None = None,
        *,
        errors: Mapping[str, Sequence[str]] | None = None,
        headers: Mapping[str, str] | None = None,
        code: str | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        self.message = message or self.default_message
        self.errors = {field: list(msgs) for field, msgs in (errors or {}).items()}
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        if code:
            self.code = code
        super().__init__(self.message)


class BadRequest(ApiError):
    status, code, default_message = 400, "BAD_REQUEST", "The request is malformed."


class InvalidJson(ApiError):
    status, code, default_message = 400, "INVALID_JSON", "The request body is not valid JSON."


class Unauthorized(ApiError):
    status, code, default_message = 401, "UNAUTHORIZED", "The access token is missing or invalid."


class Forbidden(ApiError):
    status, code, default_message = 403, "FORBIDDEN", "The access token lacks the scope this request needs."


class NotFound(ApiError):
    status, code, default_message = 404, "NOT_FOUND", "The record does not exist."


class Conflict(ApiError):
    status, code, default_message = 409, "CONFLICT", "The request conflicts with the current state."


class PreconditionFailed(ApiError):
    status, code, default_message = 412, "PRECONDITION_FAILED", "The If-Match precondition failed."


class PayloadTooLarge(ApiError):
    status, code, default_message = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."


class UnsupportedMediaType(ApiError):
    status, code, default_message = 415, "UNSUPPORTED_MEDIA_TYPE", "The request body must be application/json."


class ValidationFailed(ApiError):
    status, code, default_message = 422, "VALIDATION_FAILED", "The given data was invalid."


class RateLimited(ApiError):
    status, code, default_message = 429, "RATE_LIMITED", "Too many requests."


class ServiceUnavailable(ApiError):
    """A dependency (DynamoDB, Cognito, ...) was throttled, unreachable or too slow; `Retry-After` says when to
    try again. Raised by `leadgate.dependencies`, which decides what counts."""

    status, code = 503, "SERVICE_UNAVAILABLE"
    default_message = "The service is temporarily unavailable; retry after the time in Retry-After."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after
