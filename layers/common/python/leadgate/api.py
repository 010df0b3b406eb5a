"""The one way to build the API's resolvers and responses.

`create_resolver()` gives every function the same error envelope, request ids, caller context, body rule
(`leadgate.bodies`), security headers and answer to failing dependencies (`leadgate.dependencies`), so a
handler module only declares its routes. `STATUSES` is the one place where an error (the domain's,
`leadgate.errors`, or the edge's, `leadgate.http_errors`) becomes an HTTP status; `@app.idempotent` gives a
route its `Idempotency-Key` (`leadgate.idempotency` keeps the answers).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import ResponseBuilder
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.event_handler.openapi.params import Header
from pydantic import BaseModel

from leadgate import bodies, dependencies, errors, http_errors, idempotency, ratelimit, routes
from leadgate.events import actor
from leadgate.settings import get_settings
from leadgate.text import encodable
from leadgate.validation import field_errors

logger = Logger(child=True)

REQUEST_ID_HEADER = "X-Request-Id"
# On every answer: lead data and tokens must not be cached by a browser or proxy, and no answer is sniffed.
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

# Each error type's status; an error takes the entry of its nearest class (QueueUnavailable: Unavailable's).
STATUSES: dict[type[errors.DomainError], int] = {
    errors.DomainError: 500,
    errors.UnreadableRecord: 500,
    http_errors.BadRequest: 400,
    http_errors.InvalidJson: 400,
    errors.InvalidPosition: 400,
    errors.MalformedInput: 400,
    http_errors.Unauthorized: 401,
    errors.SignatureRefused: 401,
    http_errors.Forbidden: 403,
    errors.NotFound: 404,
    errors.Gone: 410,
    errors.Conflict: 409,
    errors.ResourceInUse: 409,
    errors.DuplicateLead: 409,
    errors.AmbiguousDuplicate: 409,
    errors.IdempotencyInProgress: 409,
    errors.PreconditionFailed: 412,
    errors.PayloadTooLarge: 413,
    http_errors.UnsupportedMediaType: 415,
    errors.ValidationFailed: 422,
    errors.IdempotencyKeyReused: 422,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}

IDEMPOTENCY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
# The key's one rule, checked where `@idempotent` declares the header: 1 to 255 printable ASCII characters, not
# starting or ending with a space, bare or in the IETF sf-string's quotes (`"abc"` is the key `abc`).
IDEMPOTENCY_KEY_PATTERN = r'^(?:[!#-~](?:[ -~]{0,253}[!-~])?|"[ -~]{1,255}")$'
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias=IDEMPOTENCY_HEADER,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Makes the request safe to retry: the same key and request replay the first answer.",
    ),
]
# Optimistic locking on every single record that has an ETag (leads, pipelines, stages, users, tags).
IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        max_length=1024,
        description="The record's ETag (or `*`): the change happens only if it still holds, else 412.",
    ),
]


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


def public_url(event: Mapping[str, Any]) -> str:
    """The requested resource's URL as clients reach the API, without the query (links and `Location`).

    The base is PUBLIC_BASE_URL when set (a custom domain, the local stack), else API Gateway's own domain and
    stage from the request context. Never the `Host` header: the client chooses that one.
    """
    base = get_settings().public_base_url
    if not base:
        context = event.get("requestContext") or {}
        domain = context.get("domainName") or "localhost"
        stage = context.get("stage")
        # On the execute-api host the stage is part of the path; on a custom domain the mapping replaces it.
        base = f"https://{domain}/{stage}" if domain.endswith(".amazonaws.com") and stage else f"https://{domain}"
    return base + (event.get("path") or "/")


def status_of(error: errors.DomainError) -> int:
    return next(STATUSES[kind] for kind in type(error).__mro__ if kind in STATUSES)


def error_body(error: errors.DomainError) -> dict[str, Any]:
    return {"status": "error", "message": error.message, "code": error.code, "errors": error.errors, **error.extra}


def error_response(error: errors.DomainError) -> Response:
    headers = {}
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, errors.PreconditionFailed) and error.etag:
        headers["ETag"] = error.etag
    return json_response(status_of(error), error_body(error), headers)


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
            raise http_errors.Unauthorized()
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
        self._body: bodies.AcceptedBody | None = None
        self.exception_handler(errors.DomainError)(error_response)
        self.exception_handler(RequestValidationError)(self._validation_failed)
        self.exception_handler(NotFoundError)(self._route_not_found)
        self.exception_handler(Exception)(self._crashed)

    @property
    def caller(self) -> Caller:
        return Caller.from_authorizer_context(self.current_event.raw_event.get("requestContext", {}).get("authorizer"))

    def consent_origin(self) -> Any:
        """Where the consents of this request come from (`leadgate.leads.consents.Origin`): the client, the
        route, the sender's address. Imported here: only the functions taking lead bodies load it."""
        from leadgate.leads.consents import Origin

        event = self.current_event.raw_event
        address = (event.get("requestContext") or {}).get("identity", {}).get("sourceIp")
        route = f"{event.get('httpMethod', '')} {event.get('resource', '')}"
        return Origin("client", client_id=self.caller.client_id, route=route, address=address)

    @property
    def accepted_body(self) -> bodies.AcceptedBody:
        """The request's body as the route's body rule accepted it (`leadgate.bodies`): bytes, text, document."""
        if self._body is None:
            raise http_errors.BadRequest("A JSON body is required.", errors={"body": ["This field is required."]})
        return self._body

    def json_body(self) -> Any:
        """The request's JSON document, as the route's body rule accepted it."""
        return self.accepted_body.document

    def idempotent(self, route: Callable[..., Response]) -> Callable[..., Response]:
        """Under a route decorator: the route takes an optional `Idempotency-Key` header, and a request that
        repeats a key replays the first answer (with `Idempotent-Replayed: true`) instead of running again."""

        @functools.wraps(route)
        def once(*args: Any, idempotency_key: str | None = None, **kwargs: Any) -> Response:
            if idempotency_key is None:
                return route(*args, **kwargs)
            key = idempotency_key[1:-1] if idempotency_key.startswith('"') else idempotency_key
            answer, replayed = idempotency.run_once(
                self.caller.client_id,
                key,
                self._fingerprint(),
                lambda: _kept(route(*args, **kwargs)),
                lambda_context=self.lambda_context,
            )
            return _replayed(answer) if replayed else _restored(answer)

        declared = inspect.signature(route)
        header = inspect.Parameter(
            "idempotency_key", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=IdempotencyKey
        )
        once.__signature__ = declared.replace(parameters=[*declared.parameters.values(), header])  # type: ignore[attr-defined]
        return once

    def _fingerprint(self) -> dict[str, Any]:
        """What makes two requests "the same": method, path, query and the JSON body (whitespace aside)."""
        event = self.current_event
        query = event.multi_value_query_string_parameters or {}
        return {
            "method": event.http_method,
            "path": event.path,
            "query": {name: sorted(values) for name, values in sorted(query.items())},
            "body": self._body.document if self._body is not None else event.decoded_body or "",
        }

    @staticmethod
    def _compile_regex(rule: str, base_regex: str = r"^{}/*\Z") -> re.Pattern[str]:
        # Powertools' REST resolver ends its route patterns with `/*$`, and `$` also matches before a final
        # newline: the path `/api/v1/leads/%0A` (a lead id "\n") was answered by the list route. Its parameters
        # are `routes.PATH_PARAMETER`.
        pattern = re.sub(r"<\w+>", lambda name: f"(?P{name.group()}{routes.PATH_PARAMETER})", rule)
        return re.compile(base_regex.format(pattern))

    def link(self, *, without: Collection[str] = (), keep_empty: bool = False, **params: Any) -> str:
        """This request's URL as clients reach it, with its query less `without` (and empty values unless
        `keep_empty`), plus `params`: the links of a list envelope. A parameter that is not valid Unicode is
        echoed as "?", never a crash."""
        query = {
            name: value
            for name, value in (self.current_event.query_string_parameters or {}).items()
            if name not in without and (keep_empty or value != "")
        }
        query.update(params)
        url = public_url(self.current_event.raw_event)
        return f"{url}?{urlencode(query, errors='replace')}" if query else url

    def refuse_undeclared_query(self, model: type[BaseModel]) -> None:
        """422 for a query parameter `model` does not name: Powertools hands the model only the ones it names,
        and a misspelt filter must never widen a list."""
        unknown = set(self.current_event.query_string_parameters or {}) - set(model.model_fields)
        if unknown:
            raise errors.ValidationFailed(errors={name: ["This field is not allowed."] for name in sorted(unknown)})

    def _to_proxy_event(self, event: dict) -> Any:
        # Powertools keeps the current event on the BaseRouter *class*, shared by every resolver in the process.
        # Keeping it on this resolver lets separately loaded handler instances serve requests side by side in
        # threads (the local stack); one resolver still serves one request at a time, as a Lambda instance does.
        proxy_event = super()._to_proxy_event(event)
        if self._body is not None:
            # Powertools' validation reads the document the body rule parsed, never the raw body again.
            proxy_event.__dict__["decoded_body"] = self._body.text
            proxy_event.__dict__["json_body"] = self._body.document
        self.current_event = proxy_event
        return proxy_event

    def resolve(self, event: Mapping[str, Any], context: Any) -> dict[str, Any]:
        request_id = (event.get("requestContext") or {}).get("requestId") or ""
        self.lambda_context = context
        self._body = None
        limit = self._count_request(event)
        try:
            if limit is not None and not limit.allowed:
                # Over the limit: answered here, so the route and everything it would touch never run.
                raise limit.error()
            event = self._accept_body(event)
        except errors.DomainError as refused:
            response = ResponseBuilder(error_response(refused)).build(self._to_proxy_event(dict(event)))
        else:
            with actor.acting_as(self._actor_of(event)):
                response = super().resolve(event, context)
        headers = response.setdefault("headers", {}) or {}
        response["headers"] = headers
        headers[REQUEST_ID_HEADER] = request_id
        if limit is not None:
            headers.update(limit.headers())
        _add_missing(response, SECURITY_HEADERS)
        return response

    @staticmethod
    def _actor_of(event: Mapping[str, Any]) -> str:
        """Who the request's changes are by (leadgate.events.actor): the authorizer's client, else `system`."""
        client_id = ((event.get("requestContext") or {}).get("authorizer") or {}).get("client_id")
        return actor.client(str(client_id)) if client_id else actor.SYSTEM

    def _accept_body(self, event: Mapping[str, Any]) -> Mapping[str, Any]:
        """The event with its body checked by the route's rule (a DomainError if refused); its Content-Type is then
        plain `application/json`, the one Powertools parses."""
        route = routes.route_of(str(event.get("httpMethod") or ""), str(event.get("resource") or ""))
        if route is None or route.body is None:
            return event
        self._body = bodies.accept(event, route.body)
        accepted = dict(event, body=self._body.text, isBase64Encoded=False)
        for name, value in (("headers", bodies.JSON), ("multiValueHeaders", [bodies.JSON])):
            if event.get(name):
                others = {key: old for key, old in event[name].items() if key.lower() != "content-type"}
                accepted[name] = {**others, "Content-Type": value}
        return accepted

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
        # Field messages only: never pydantic's `input`, which would echo what the client sent.
        return error_response(errors.ValidationFailed(errors=field_errors(list(exc.errors()))))

    def _route_not_found(self, _exc: NotFoundError) -> Response:
        event = self.current_event
        return error_response(errors.NotFound(f"No route matches {event.http_method} {event.path}."))

    def _crashed(self, exc: Exception) -> Response:
        unavailable = dependencies.unavailable(exc)
        if unavailable is not None:
            logger.warning("A dependency failed", extra={"error_type": type(exc).__name__}, exc_info=exc)
            return error_response(unavailable)
        logger.exception("Unhandled error", extra={"error_type": type(exc).__name__})
        return error_response(errors.DomainError())


def _add_missing(response: dict[str, Any], headers: Mapping[str, str]) -> None:
    """Adds each header the response does not already carry (in either of API Gateway's header maps)."""
    present = {name.lower() for name in response.get("headers") or {}}
    present |= {name.lower() for name in response.get("multiValueHeaders") or {}}
    for name, value in headers.items():
        if name.lower() not in present:
            response["headers"][name] = value


def _kept(response: Response) -> idempotency.Answer:
    return {"status": response.status_code, "headers": dict(response.headers), "body": response.body or ""}


def _restored(answer: idempotency.Answer) -> Response:
    return Response(status_code=answer["status"], body=answer["body"], headers=dict(answer["headers"]))


def _replayed(answer: idempotency.Answer) -> Response:
    return _restored({**answer, "headers": {**answer["headers"], REPLAYED_HEADER: "true"}})


def create_resolver(**kwargs: Any) -> LeadgateResolver:
    return LeadgateResolver(**kwargs)
