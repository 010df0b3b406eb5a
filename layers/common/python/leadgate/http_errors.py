"""The request's own faults, found at the edge before any domain code runs: a body that cannot be read, a
missing or insufficient token. Rendered in the envelope like the domain's errors (`leadgate.api`)."""

from __future__ import annotations

from leadgate.errors import DomainError


class HttpError(DomainError):
    """Raised only by the edge modules (`api`, `bodies`) and the handlers."""


class BadRequest(HttpError):
    code, default_message = "BAD_REQUEST", "The request is malformed."


class InvalidJson(HttpError):
    code, default_message = "INVALID_JSON", "The request body is not valid JSON."


class Unauthorized(HttpError):
    code, default_message = "UNAUTHORIZED", "The access token is missing or invalid."


class Forbidden(HttpError):
    code, default_message = "FORBIDDEN", "The access token lacks the scope this request needs."


class UnsupportedMediaType(HttpError):
    code, default_message = "UNSUPPORTED_MEDIA_TYPE", "The request body must be application/json."
