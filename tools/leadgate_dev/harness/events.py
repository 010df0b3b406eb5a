"""API Gateway REST proxy events, built the way API Gateway builds them, and the Lambda context a handler
gets with one.

The local stack turns HTTP requests into these, and the tests and benchmarks use them to drive handlers.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Mapping
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs


def resource_of(method: str, path: str) -> str:
    """API Gateway's `resource` for a request: the template path of the route it matches (else the path)."""
    from leadgate.routes import ROUTES
    from leadgate_dev.local.gateway import match_route

    found = match_route(ROUTES, method, path)
    return found.route.path if found else path


def rest_event(
    method: str,
    path: str,
    *,
    resource: str | None = None,
    path_parameters: Mapping[str, str] | None = None,
    query: str | Mapping[str, str | list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
    body: bytes | str | Mapping[str, Any] | list[Any] | None = None,
    authorizer: Mapping[str, Any] | None = None,
    source_ip: str = "127.0.0.1",
    stage: str = "local",
    request_id: str | None = None,
) -> dict[str, Any]:
    """A REST API (v1) proxy event. `body` may be raw bytes/str or a JSON-able object."""
    multi_query = _multi_query(query)
    header_map = dict(headers or {})
    raw_body, is_base64 = _encode_body(body)
    if isinstance(body, Mapping | list):
        header_map.setdefault("Content-Type", "application/json")
    request_id = request_id or str(uuid.uuid4())
    resource = resource or resource_of(method, path)
    now = time.time()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": header_map or None,
        "multiValueHeaders": {name: [value] for name, value in header_map.items()} or None,
        "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
        "multiValueQueryStringParameters": multi_query or None,
        "pathParameters": dict(path_parameters) if path_parameters else None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "path": f"/{stage}{path}",
            "stage": stage,
            "requestId": request_id,
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "requestTimeEpoch": int(now * 1000),
            "accountId": "123456789012",
            "apiId": "local",
            "protocol": "HTTP/1.1",
            "domainName": header_map.get("Host", "localhost"),
            "identity": {"sourceIp": source_ip, "userAgent": header_map.get("User-Agent", "")},
            **({"authorizer": dict(authorizer)} if authorizer is not None else {}),
        },
        "body": raw_body,
        "isBase64Encoded": is_base64,
    }


def _multi_query(query: str | Mapping[str, str | list[str]] | None) -> dict[str, list[str]]:
    if not query:
        return {}
    if isinstance(query, str):
        return {name: values for name, values in parse_qs(query, keep_blank_values=True).items()}
    return {name: list(value) if isinstance(value, list) else [value] for name, value in query.items()}


def _encode_body(body: bytes | str | Mapping[str, Any] | list[Any] | None) -> tuple[str | None, bool]:
    if body is None:
        return None, False
    if isinstance(body, bytes):
        try:
            return body.decode("utf-8"), False
        except UnicodeDecodeError:
            return base64.b64encode(body).decode("ascii"), True
    if isinstance(body, str):
        return body, False
    return json.dumps(body, ensure_ascii=False), False


def lambda_context(function: str, request_id: str = "local-request", timeout_ms: int = 10_000) -> SimpleNamespace:
    """What Lambda passes a handler beside the event, with a deadline `timeout_ms` from now."""
    deadline = time.monotonic() + timeout_ms / 1000
    return SimpleNamespace(
        function_name=f"local-{function}",
        function_version="$LATEST",
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:us-east-1:123456789012:function:local-{function}",
        aws_request_id=request_id,
        log_group_name=f"/aws/lambda/local-{function}",
        log_stream_name="local",
        get_remaining_time_in_millis=lambda: max(0, int((deadline - time.monotonic()) * 1000)),
    )
