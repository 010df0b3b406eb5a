"""The one way to build the API's resolvers and responses.

`create_resolver()` gives every function the same error envelope, request ids and caller context, so a
handler module only declares its routes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError

from leadgate import errors, ratelimit
from leadgate.text import encodable

logger = Logger(child=True)

REQUEST_ID_HEADER = "X-Request-Id"


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON response; `body=None` gives an empty body (204)."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON if body is not None else None,
        # encodable: a lone surrogate (from a query or path) must not make the body unencodable as UTF-8.
        body=encodable(json.dumps(body, ensure_ascii=False, separators=(",", ":"))) if body is not None else "",
        headers=dict(headers or {}),
    )


def record_response(record: Mapping[str, Any], *, status: int = 200, etag: str | None = None) -> Response:
    """A single record in LeadHub's `{"data": {...}}` envelope, with its ETag when it has one."""
    return json_response(status, {"data": record}, {"ETag": etag} if etag else None)


def error_body(error: errors.ApiError) -> dict[str, Any]:
    return {"status": "error", "message": error.message, "code": error.code, "errors": error.errors, **error.extra}


def error_response(error: errors.ApiError) -> Response:
    return json_response(error.status, error_body(error), error.headers)


def validation_errors(pydantic_errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Pydantic's error list as LeadHub's `{field: [messages]}`; the body/query prefix is dropped."""
    fields: dict[str, list[str]] = {}
    for error in pydantic_errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path", "header")]
        fields.setdefault(".".join(location) or "body", []).append(_message(error))
    return fields


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    if error.get("type") == "extra_forbidden":
        return "This field is not allowed."
    message = str(error.get("msg") or "Invalid value.")
    return message if message.endswith(".") else message + "."


@dataclass(frozen=True)
class Caller:
    """Who is calling, as the authorizer established it."""

    tenant_id: str
    client_id: str
    scopes: frozenset[str]
    tier: str
    rate_policies: str

    @classmethod
    def from_authorizer_context(cls, context: Mapping[str, Any] | None) -> Caller:
        context = context or {}
        if not context.get("tenant_id") or not context.get("client_id"):
            raise errors.Unauthorized()
        return cls(
            tenant_id=str(context["tenant_id"]),
            client_id=str(context["client_id"]),
            scopes=frozenset(str(context.get("scopes", "")).split()),
            tier=str(context.get("tier", "")),
            rate_policies=str(context.get("rate_policies", "")),
        )


class LeadgateResolver(APIGatewayRestResolver):
    """Powertools' REST resolver with our envelope on every path, including 404s and crashes."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(enable_validation=True, **kwargs)
        self.exception_handler(errors.ApiError)(error_response)
        self.exception_handler(RequestValidationError)(self._validation_failed)
        self.exception_handler(NotFoundError)(self._route_not_found)
        self.exception_handler(Exception)(self._crashed)

    @property
    def caller(self) -> Caller:
        return Caller.from_authorizer_context(self.current_event.raw_event.get("requestContext", {}).get("authorizer"))

    def json_body(self) -> Any:
        """The parsed JSON body; malformed JSON is an INVALID_JSON error, not a crash."""
        try:
            return json.loads(self.current_event.decoded_body or "null")
        except ValueError as exc:
            raise errors.InvalidJson(errors={"body": [f"Malformed JSON: {exc}."]}) from exc

    def _to_proxy_event(self, event: dict) -> Any:
        # Powertools keeps the current event on the BaseRouter *class*, shared by every resolver in the process.
        # Keeping it on this resolver lets separately loaded handler instances serve requests side by side in
        # threads (the local stack); one resolver still serves one request at a time, as a Lambda instance does.
        proxy_event = super()._to_proxy_event(event)
        self.current_event = proxy_event
        return proxy_event

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request_id = (event.get("requestContext") or {}).get("requestId") or ""
        self.lambda_context = context
        limit = self._count_request(event)
        if limit is not None and not limit.allowed:
            # Over the limit: answered here, so the route and everything it would touch never run.
            response = ResponseBuilder(error_response(limit.error())).build(self._to_proxy_event(dict(event)))
        else:
            response = super().resolve(event, context)
        headers = response.setdefault("headers", {}) or {}
        response["headers"] = headers
        headers[REQUEST_ID_HEADER] = request_id
        if limit is not None:
            headers.update(limit.headers())
        return response

    @staticmethod
    def _count_request(event: Mapping[str, Any]) -> ratelimit.RequestLimit | None:
        """Count an authenticated request against its client's rate limits (public routes are not counted).

        Fails open: when the counter cannot be reached the request is served, without usage headers.
        """
        try:
            return ratelimit.limit_request((event.get("requestContext") or {}).get("authorizer"))
        except Exception:
            logger.exception("Rate limiting failed; the request is served uncounted")
            return None

    def _validation_failed(self, exc: RequestValidationError) -> Response:
        if any(error.get("type") == "json_invalid" for error in exc.errors()):
            return error_response(errors.InvalidJson(errors={"body": ["Malformed JSON."]}))
        return error_response(errors.ValidationFailed(errors=validation_errors(list(exc.errors()))))

    def _route_not_found(self, _exc: NotFoundError) -> Response:
        event = self.current_event
        return error_response(errors.NotFound(f"No route matches {event.http_method} {event.path}.", code="NOT_FOUND"))

    def _crashed(self, exc: Exception) -> Response:
        logger.exception("Unhandled error", extra={"error_type": type(exc).__name__})
        return error_response(errors.ApiError())


def create_resolver(**kwargs: Any) -> LeadgateResolver:
    return LeadgateResolver(**kwargs)
