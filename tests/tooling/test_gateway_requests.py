"""The local API Gateway end to end in-process: routing, the authorizer protocol, gateway responses,
usage-plan gate and proxy translation. Public routes run the real handlers; the authorizer's answers
and the protected handlers are scripted here so each gateway rule can be checked on its own (the real
authorizer runs in tests/e2e)."""

import base64
import json

import pytest

from leadgate_dev import template
from leadgate_dev.local.authorizer import PolicyCache, method_arn
from leadgate_dev.local.gateway import Gateway, HttpRequest, render_gateway_response
from leadgate_dev.local.instances import FunctionPool
from leadgate_dev.local.usage_plans import UsagePlans
from leadgate_dev.template import GatewayResponseSpec


def allow_all(context=None, usage_key="key-acme"):
    return {
        "principalId": "client-acme",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Action": "execute-api:Invoke", "Resource": method_arn("local", "*", "*")}
            ],
        },
        "context": context or {"tenant_id": "acme", "client_id": "client-acme", "scopes": "read:leads"},
        "usageIdentifierKey": usage_key,
    }


def allow_only(method, path):
    answer = allow_all()
    answer["policyDocument"]["Statement"][0]["Resource"] = method_arn("local", method, path)
    return answer


class Functions:
    """Real handlers for public routes; scripted authorizer and protected handlers."""

    def __init__(self):
        self.pool = FunctionPool(size=2)
        self.authorizer_answer = allow_all()
        self.authorizer_events = []
        self.handler_events = []
        self.handler_result = None

    def invoke(self, function, event, request_id):
        if function == "authorizer":
            self.authorizer_events.append(event)
            if isinstance(self.authorizer_answer, Exception):
                raise self.authorizer_answer
            return self.authorizer_answer
        if function == "health":
            return self.pool.invoke(function, event, request_id)
        self.handler_events.append(event)
        if isinstance(self.handler_result, Exception):
            raise self.handler_result
        return self.handler_result or {"statusCode": 200, "headers": {"X-Function": function}, "body": "{}"}


class RecordingPlans(UsagePlans):
    def __init__(self, verdict=None):
        self.verdict = verdict
        self.calls = []

    def admit(self, *, route, api_key, request_id):
        self.calls.append((route.path, api_key))
        return self.verdict


@pytest.fixture
def functions():
    return Functions()


@pytest.fixture
def plans():
    return RecordingPlans()


@pytest.fixture
def gateway(functions, plans):
    return Gateway(
        routes=template.api_routes(),
        responses=template.gateway_responses(),
        functions=functions,
        policy_cache=PolicyCache(ttl=300),
        usage_plans=plans,
    )


def request(method, path, *, token="Bearer token-1", headers=(), body=b"", query=""):
    all_headers = [("Host", "127.0.0.1:3000"), *headers]
    if token:
        all_headers.append(("Authorization", token))
    return HttpRequest(method=method, raw_path=path, query=query, headers=all_headers, body=body)


def envelope(response):
    return json.loads(response.body)


def assert_request_id(response):
    request_id = response.header("X-Request-Id")
    assert request_id
    assert response.header("x-amzn-RequestId") == request_id
    return request_id


def test_public_route_runs_the_real_handler_without_the_authorizer(gateway, functions):
    response = gateway.handle(request("GET", "/api/v1/health", token=None))

    assert response.status == 200
    assert envelope(response)["status"] == "ok"
    assert_request_id(response)
    assert functions.authorizer_events == []


def test_unknown_route_and_unknown_method_answer_not_found_in_the_envelope(gateway):
    for method, path in [("GET", "/api/v1/nope"), ("DELETE", "/api/v1/health"), ("PUT", "/api/v1/leads")]:
        response = gateway.handle(request(method, path))

        assert response.status == 404
        assert envelope(response) == {
            "status": "error",
            "message": "No such route or method.",
            "code": "NOT_FOUND",
            "errors": {},
        }
        assert_request_id(response)


def test_missing_authorization_header_is_401_without_calling_the_authorizer(gateway, functions):
    response = gateway.handle(request("GET", "/api/v1/leads", token=None))

    assert response.status == 401
    assert envelope(response)["code"] == "UNAUTHORIZED"
    assert response.header("WWW-Authenticate") == "Bearer"
    assert_request_id(response)
    assert functions.authorizer_events == []
    assert functions.handler_events == []


@pytest.mark.parametrize("answer", [Exception("Unauthorized"), "Unauthorized"])
def test_authorizer_saying_unauthorized_is_401(gateway, functions, answer):
    functions.authorizer_answer = answer

    response = gateway.handle(request("GET", "/api/v1/leads"))

    assert response.status == 401
    assert envelope(response)["code"] == "UNAUTHORIZED"
    assert functions.handler_events == []


def test_unauthorized_is_not_cached(gateway, functions):
    functions.authorizer_answer = Exception("Unauthorized")
    gateway.handle(request("GET", "/api/v1/leads"))
    functions.authorizer_answer = allow_all()

    assert gateway.handle(request("GET", "/api/v1/leads")).status == 200
    assert len(functions.authorizer_events) == 2


@pytest.mark.parametrize("answer", [RuntimeError("boom"), {"principalId": "x"}])
def test_authorizer_crash_or_malformed_answer_is_a_503_in_the_envelope(gateway, functions, answer):
    """The template's AUTHORIZER_FAILURE answer: an authorizer that fails met a failing dependency."""
    functions.authorizer_answer = answer

    response = gateway.handle(request("GET", "/api/v1/leads"))

    assert response.status == 503
    assert envelope(response)["code"] == "SERVICE_UNAVAILABLE"
    assert_request_id(response)
    assert functions.handler_events == []


def test_the_authorizer_gets_a_request_event_with_the_method_arn(gateway, functions):
    gateway.handle(request("GET", "/api/v1/leads/01J", query="expand=tags", headers=[("X-Trace", "t1")]))

    (event,) = functions.authorizer_events
    assert event["type"] == "REQUEST"
    assert event["methodArn"] == "arn:aws:execute-api:us-east-1:123456789012:local/local/GET/api/v1/leads/01J"
    assert event["resource"] == "/api/v1/leads/{id}"
    assert event["pathParameters"] == {"id": "01J"}
    assert event["headers"]["Authorization"] == "Bearer token-1"
    assert event["headers"]["X-Trace"] == "t1"
    assert event["queryStringParameters"] == {"expand": "tags"}
    assert "authorizer" not in event["requestContext"]


def test_denied_method_is_403_forbidden(gateway, functions):
    functions.authorizer_answer = allow_only("GET", "/api/v1/leads")

    response = gateway.handle(request("POST", "/api/v1/leads", body=b"{}"))

    assert response.status == 403
    assert envelope(response)["code"] == "FORBIDDEN"
    assert_request_id(response)
    assert functions.handler_events == []


def test_policy_is_cached_per_token_and_evaluated_per_request(gateway, functions):
    functions.authorizer_answer = allow_only("GET", "/api/v1/leads/*")

    first = gateway.handle(request("GET", "/api/v1/leads/01A"))
    second = gateway.handle(request("GET", "/api/v1/leads/01B"))
    denied = gateway.handle(request("DELETE", "/api/v1/leads/01B"))
    other_token = gateway.handle(request("GET", "/api/v1/leads/01B", token="Bearer token-2"))

    assert [first.status, second.status, denied.status, other_token.status] == [200, 200, 403, 200]
    assert [event["headers"]["Authorization"] for event in functions.authorizer_events] == [
        "Bearer token-1",
        "Bearer token-2",
    ]


def test_handler_gets_the_proxy_event_with_the_authorizer_context(gateway, functions):
    response = gateway.handle(
        request(
            "DELETE",
            "/api/v1/leads/01J/tags/vip%20client",
            query="a=1&a=2&b=",
            headers=[("X-Multi", "one"), ("X-Multi", "two")],
        )
    )

    (event,) = functions.handler_events
    assert event["resource"] == "/api/v1/leads/{id}/tags/{tag}"
    assert event["path"] == "/api/v1/leads/01J/tags/vip client"
    assert event["httpMethod"] == "DELETE"
    assert event["pathParameters"] == {"id": "01J", "tag": "vip client"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": [""]}
    assert event["queryStringParameters"] == {"a": "2", "b": ""}
    assert event["multiValueHeaders"]["X-Multi"] == ["one", "two"]
    assert event["headers"]["X-Multi"] == "two"
    assert event["requestContext"]["authorizer"] == {
        "tenant_id": "acme",
        "client_id": "client-acme",
        "scopes": "read:leads",
        "principalId": "client-acme",
    }
    # X-Request-Id comes from our handlers (leadgate.api); API Gateway itself only adds x-amzn-RequestId.
    assert event["requestContext"]["requestId"] == response.header("x-amzn-RequestId")
    assert event["requestContext"]["resourcePath"] == "/api/v1/leads/{id}/tags/{tag}"


def test_request_body_reaches_the_handler_text_or_base64(gateway, functions):
    gateway.handle(request("POST", "/api/v1/leads", body='{"first_name":"太郎"}'.encode()))
    gateway.handle(request("POST", "/api/v1/leads", body=b"\xff\xfe\x00"))

    text, binary = functions.handler_events
    assert (text["body"], text["isBase64Encoded"]) == ('{"first_name":"太郎"}', False)
    assert binary["isBase64Encoded"] is True
    assert base64.b64decode(binary["body"]) == b"\xff\xfe\x00"


def test_usage_plans_see_every_request_with_the_authorizers_api_key(gateway, plans):
    gateway.handle(request("GET", "/api/v1/leads"))
    gateway.handle(request("GET", "/api/v1/health", token=None))

    assert plans.calls == [("/api/v1/leads", "key-acme"), ("/api/v1/health", None)]


def test_usage_plan_rejection_is_its_gateway_response_and_skips_the_handler(gateway, functions, plans):
    plans.verdict = "THROTTLED"

    response = gateway.handle(request("GET", "/api/v1/leads"))

    assert response.status == 429
    assert envelope(response)["code"] == "RATE_LIMITED"
    assert response.header("Retry-After") == "1"
    assert_request_id(response)
    assert functions.handler_events == []


def test_proxy_response_headers_multi_values_and_base64_body(gateway, functions):
    functions.handler_result = {
        "statusCode": 201,
        "headers": {"Content-Type": "image/png", "X-One": "1"},
        "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"], "X-One": ["from-multi"]},
        "body": base64.b64encode(b"\x89PNG").decode(),
        "isBase64Encoded": True,
    }

    response = gateway.handle(request("GET", "/api/v1/leads"))

    assert response.status == 201
    assert response.body == b"\x89PNG"
    assert [value for name, value in response.headers if name == "Set-Cookie"] == ["a=1", "b=2"]
    assert [value for name, value in response.headers if name == "X-One"] == ["from-multi"]
    assert response.header("x-amzn-RequestId")


@pytest.mark.parametrize("result", [RuntimeError("crash"), {"body": "no status"}, "text"])
def test_handler_crash_or_malformed_result_is_502_in_the_envelope(gateway, functions, result):
    functions.handler_result = result

    response = gateway.handle(request("GET", "/api/v1/leads"))

    assert response.status == 502
    assert envelope(response)["code"] == "SERVER_ERROR"
    assert_request_id(response)


def test_gateway_response_templates_substitute_context_variables():
    responses = {
        "UNAUTHORIZED": GatewayResponseSpec(
            status=401,
            body_template='{"message":$context.error.messageString,"id":"$context.requestId","t":"${context.error.responseType}"}',
            headers={"X-Request-Id": "context.requestId", "X-Static": "'yes'"},
        )
    }

    response = render_gateway_response(responses, "UNAUTHORIZED", "req-1")

    assert response.status == 401
    assert json.loads(response.body) == {"message": "Unauthorized", "id": "req-1", "t": "UNAUTHORIZED"}
    assert response.header("X-Static") == "yes"
    assert response.header("X-Request-Id") == "req-1"


def test_uncustomised_response_types_fall_back_to_default_4xx_or_5xx_keeping_their_status():
    responses = template.gateway_responses()
    assert "AUTHORIZER_CONFIGURATION_ERROR" not in responses

    failure = render_gateway_response(responses, "AUTHORIZER_CONFIGURATION_ERROR", "req-2")
    not_customised = render_gateway_response({}, "ACCESS_DENIED", "req-3")

    assert (failure.status, json.loads(failure.body)["code"]) == (500, "SERVER_ERROR")
    assert failure.header("X-Request-Id") == "req-2"
    assert not_customised.status == 403
    assert json.loads(not_customised.body) == {"message": "User is not authorized to access this resource"}
    assert not_customised.header("X-Request-Id") == "req-3"
