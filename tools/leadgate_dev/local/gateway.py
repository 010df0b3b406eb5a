"""API Gateway (REST, Lambda proxy) in front of the real handlers, as template.yaml configures it.

For each request: pick the route from the template (a literal segment beats a `{param}`), build the REST
proxy event, run the Lambda REQUEST authorizer with its policy cache for authorised routes, give the
usage plans their say, invoke the function and translate its proxy response. API Gateway's own answers
(no route, 401, 403, authorizer failure, ...) are the template's Gateway Responses.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import unquote

from leadgate_dev.harness.events import rest_event
from leadgate_dev.local.authorizer import Authorization, AuthorizerFailure, PolicyCache, is_allowed, method_arn
from leadgate_dev.local.instances import FunctionTimeout, IntegrationTimeout
from leadgate_dev.template import GatewayResponseSpec, TemplateRoute

# Not under "leadgate": Powertools' Logger filters records of loggers named after its service from root handlers.
logger = logging.getLogger("local_stack.gateway")

AUTHORIZER_FUNCTION = "authorizer"
IDENTITY_HEADER = "Authorization"

# API Gateway's own status and message for each response type it can produce here.
RESPONSE_DEFAULTS: dict[str, tuple[int, str]] = {
    "MISSING_AUTHENTICATION_TOKEN": (403, "Missing Authentication Token"),
    "UNAUTHORIZED": (401, "Unauthorized"),
    "ACCESS_DENIED": (403, "User is not authorized to access this resource"),
    "AUTHORIZER_FAILURE": (500, "Internal server error"),
    "INVALID_API_KEY": (403, "Forbidden"),
    "THROTTLED": (429, "Too Many Requests"),
    "QUOTA_EXCEEDED": (429, "Limit Exceeded"),
    "REQUEST_TOO_LARGE": (413, "Request Too Long"),
    "INTEGRATION_TIMEOUT": (504, "Endpoint request timed out"),
    "DEFAULT_4XX": (400, "Bad Request"),
    "DEFAULT_5XX": (500, "Internal server error"),
}
BAD_GATEWAY = 502  # a handler that crashed or answered something that is not a proxy response


@dataclass(frozen=True)
class HttpRequest:
    method: str
    raw_path: str  # as sent: percent-encoded, without the query string
    query: str
    headers: Sequence[tuple[str, str]]
    body: bytes
    source_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key.lower() == name.lower()), None)


@dataclass(frozen=True)
class RouteMatch:
    route: TemplateRoute
    path_parameters: dict[str, str] = field(default_factory=dict)


class Invoker(Protocol):
    def invoke(self, function: str, event: dict[str, Any], request_id: str) -> Any: ...


class UsagePlanGate(Protocol):
    def admit(self, *, route: TemplateRoute, api_key: str | None, request_id: str) -> str | None:
        """None lets the request through; otherwise the gateway response type that rejects it."""


# ------------------------------------------------------------------ routing


def match_route(routes: Sequence[TemplateRoute], method: str, raw_path: str) -> RouteMatch | None:
    """The route API Gateway picks for METHOD and path: the resource first, then its METHOD (no other resource's)."""
    found = match_resource([route.path for route in routes], raw_path)
    if found is None:
        return None
    path, parameters = found
    route = next((route for route in routes if route.path == path and route.method == method.upper()), None)
    return RouteMatch(route, parameters) if route else None


def match_resource(paths: Iterable[str], raw_path: str) -> tuple[str, dict[str, str]] | None:
    """The resource path API Gateway picks for a path, and its parameters: segment by segment, a literal beats a
    `{param}`."""
    trimmed = raw_path.removeprefix("/").removesuffix("/")  # `/leads/` is `/leads`; `/leads//` is not
    segments = [unquote(segment) for segment in trimmed.split("/")] if trimmed else []
    best: tuple[tuple[int, ...], str, dict[str, str]] | None = None
    for path in set(paths):
        parameters = _match_segments(path, segments)
        if parameters is None:
            continue
        specificity = tuple(1 if _is_parameter(part) else 0 for part in _route_segments(path))
        if best is None or specificity < best[0]:
            best = (specificity, path, parameters)
    return (best[1], best[2]) if best else None


def _route_segments(path: str) -> list[str]:
    return path.strip("/").split("/") if path.strip("/") else []


def _is_parameter(segment: str) -> bool:
    return segment.startswith("{") and segment.endswith("}")


def _match_segments(route_path: str, segments: list[str]) -> dict[str, str] | None:
    parts = _route_segments(route_path)
    if len(parts) != len(segments):
        return None
    parameters = {}
    for part, segment in zip(parts, segments, strict=True):
        if _is_parameter(part):
            if not segment:
                return None
            parameters[part[1:-1]] = segment
        elif part != segment:
            return None
    return parameters


# ------------------------------------------------------------------ gateway responses

_CONTEXT_VARIABLE = re.compile(r"\$(?:\{context\.([A-Za-z0-9_.]+)\}|context\.([A-Za-z0-9_.]+))")


def gateway_context(request_id: str, response_type: str, message: str) -> dict[str, str]:
    """The `$context` variables a gateway response template or header mapping can use."""
    return {
        "requestId": request_id,
        "extendedRequestId": request_id,
        "error.message": message,
        "error.messageString": json.dumps(message),
        "error.responseType": response_type,
        "error.validationErrorString": "",
    }


def render_gateway_response(
    responses: Mapping[str, GatewayResponseSpec], response_type: str, request_id: str, status: int | None = None
) -> HttpResponse:
    """API Gateway's answer of `response_type`, customised by the template (or its DEFAULT_4XX/5XX)."""
    default_status, message = RESPONSE_DEFAULTS.get(response_type, (500, "Internal server error"))
    spec = responses.get(response_type)
    if spec is not None:
        status = status or spec.status
    else:
        status = status or default_status
        spec = responses.get("DEFAULT_5XX" if status >= 500 else "DEFAULT_4XX")
    context = gateway_context(request_id, response_type, message)
    if spec is None:
        body, headers = json.dumps({"message": message}), {}
    else:
        body = _CONTEXT_VARIABLE.sub(
            lambda found: context.get(found.group(1) or found.group(2), ""), spec.body_template
        )
        headers = spec.render_headers(context)
    headers = {"Content-Type": "application/json", **headers, "X-Request-Id": request_id}
    return HttpResponse(status, [*headers.items(), ("x-amzn-RequestId", request_id)], body.encode("utf-8"))


# ------------------------------------------------------------------ the gateway


class Gateway:
    def __init__(
        self,
        *,
        routes: Sequence[TemplateRoute],
        responses: Mapping[str, GatewayResponseSpec],
        functions: Invoker,
        policy_cache: PolicyCache,
        usage_plans: UsagePlanGate,
        stage: str = "local",
        method_not_allowed: Mapping[str, GatewayResponseSpec] | None = None,
    ) -> None:
        self.routes = list(routes)
        self.responses = dict(responses)
        # Resource path -> its MOCK ANY method's answer (405 with Allow), as the template declares them.
        self.method_not_allowed = dict(method_not_allowed or {})
        self.functions = functions
        self.policy_cache = policy_cache
        self.usage_plans = usage_plans
        self.stage = stage

    def handle(self, request: HttpRequest) -> HttpResponse:
        request_id = str(uuid.uuid4())
        match = match_route(self.routes, request.method, request.raw_path)
        if match is None:
            return self._unrouted(request.raw_path, request_id)
        event = self._proxy_event(request, match, request_id)
        authorization: Authorization | None = None
        if match.route.scopes is not None:
            outcome = self._authorize(event, request_id)
            if isinstance(outcome, HttpResponse):
                return outcome
            authorization = outcome
            event["requestContext"]["authorizer"] = authorization.request_context()
        # The one place usage plans (throttle, quota, API key) act, before the integration runs.
        rejection = self.usage_plans.admit(
            route=match.route,
            api_key=authorization.usage_identifier_key if authorization else None,
            request_id=request_id,
        )
        if rejection:
            return self.gateway_response(rejection, request_id)
        return self._integrate(match.route.function, event, request_id)

    def _unrouted(self, raw_path: str, request_id: str) -> HttpResponse:
        """A method the resource does not declare: its MOCK ANY method's answer if it has one (no function
        runs, no authorizer), else API Gateway's "no route"."""
        found = match_resource([*(route.path for route in self.routes), *self.method_not_allowed], raw_path)
        if found is None or found[0] not in self.method_not_allowed:
            return self.gateway_response("MISSING_AUTHENTICATION_TOKEN", request_id)
        return render_gateway_response(self.method_not_allowed, found[0], request_id)

    def gateway_response(self, response_type: str, request_id: str, status: int | None = None) -> HttpResponse:
        return render_gateway_response(self.responses, response_type, request_id, status)

    def _proxy_event(self, request: HttpRequest, match: RouteMatch, request_id: str) -> dict[str, Any]:
        single_headers: dict[str, str] = {}
        multi_headers: dict[str, list[str]] = {}
        # API Gateway adds the forwarding headers; handlers build absolute links from them.
        forwarded = [("X-Forwarded-Proto", "http"), ("X-Forwarded-For", request.source_ip)]
        for name, value in [*request.headers, *forwarded]:
            single_headers[name] = value
            multi_headers.setdefault(name, []).append(value)
        event = rest_event(
            request.method,
            unquote(request.raw_path) or "/",
            resource=match.route.path,
            path_parameters=match.path_parameters,
            query=request.query,
            headers=single_headers,
            body=request.body or None,
            source_ip=request.source_ip,
            stage=self.stage,
            request_id=request_id,
        )
        event["multiValueHeaders"] = multi_headers or None
        return event

    def _authorize(self, event: dict[str, Any], request_id: str) -> Authorization | HttpResponse:
        identity = _header(event, IDENTITY_HEADER)
        if not identity:
            return self.gateway_response("UNAUTHORIZED", request_id)
        arn = method_arn(self.stage, event["httpMethod"], event["path"])
        authorization = self.policy_cache.get(identity)
        if authorization is None:
            try:
                answer = self.functions.invoke(AUTHORIZER_FUNCTION, authorizer_event(event, arn), request_id)
                if answer == "Unauthorized":
                    return self.gateway_response("UNAUTHORIZED", request_id)
                authorization = Authorization.from_response(answer)
            except Exception as exc:
                if str(exc) == "Unauthorized":  # how a Lambda authorizer asks for a 401
                    return self.gateway_response("UNAUTHORIZED", request_id)
                if not isinstance(exc, AuthorizerFailure):
                    logger.exception("the authorizer failed (request %s)", request_id)
                return self.gateway_response("AUTHORIZER_FAILURE", request_id)
            self.policy_cache.put(identity, authorization)
        if not is_allowed(authorization.policy_document, arn):
            return self.gateway_response("ACCESS_DENIED", request_id)
        return authorization

    def _integrate(self, function: str, event: dict[str, Any], request_id: str) -> HttpResponse:
        try:
            result = self.functions.invoke(function, event, request_id)
            return proxy_response(result, request_id)
        except IntegrationTimeout as timeout:
            logger.error("API Gateway stopped waiting for %s (request %s)", timeout, request_id)
            return self.gateway_response("INTEGRATION_TIMEOUT", request_id)
        except FunctionTimeout as timeout:
            # Lambda ends the invocation with an error; to the proxy integration that is a function error.
            logger.error("%s (request %s)", timeout, request_id)
            return self.gateway_response("DEFAULT_5XX", request_id, status=BAD_GATEWAY)
        except Exception:
            logger.exception("function %s failed (request %s)", function, request_id)
            return self.gateway_response("DEFAULT_5XX", request_id, status=BAD_GATEWAY)


def authorizer_event(proxy_event: Mapping[str, Any], arn: str) -> dict[str, Any]:
    """The REQUEST authorizer event API Gateway sends for a proxy request."""
    return {
        "type": "REQUEST",
        "methodArn": arn,
        "resource": proxy_event["resource"],
        "path": proxy_event["path"],
        "httpMethod": proxy_event["httpMethod"],
        "headers": proxy_event["headers"],
        "multiValueHeaders": proxy_event["multiValueHeaders"],
        "queryStringParameters": proxy_event["queryStringParameters"],
        "multiValueQueryStringParameters": proxy_event["multiValueQueryStringParameters"],
        "pathParameters": proxy_event["pathParameters"],
        "stageVariables": proxy_event["stageVariables"],
        "requestContext": {key: value for key, value in proxy_event["requestContext"].items() if key != "authorizer"},
    }


def proxy_response(result: Any, request_id: str) -> HttpResponse:
    """A Lambda proxy integration result as HTTP; anything else is a ValueError (API Gateway's 502)."""
    if not isinstance(result, Mapping) or not isinstance(result.get("statusCode"), int):
        raise ValueError(f"malformed Lambda proxy response: {str(result)[:200]}")
    multi = {name: [str(value) for value in values] for name, values in (result.get("multiValueHeaders") or {}).items()}
    single = {name: str(value) for name, value in (result.get("headers") or {}).items() if name not in multi}
    headers = [(name, value) for name, value in single.items()]
    headers += [(name, value) for name, values in multi.items() for value in values]
    headers.append(("x-amzn-RequestId", request_id))
    body = result.get("body") or ""
    raw = base64.b64decode(body) if result.get("isBase64Encoded") else str(body).encode("utf-8")
    return HttpResponse(result["statusCode"], headers, raw)


def _header(event: Mapping[str, Any], name: str) -> str | None:
    return next((value for key, value in (event.get("headers") or {}).items() if key.lower() == name.lower()), None)
