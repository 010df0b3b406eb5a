"""API Gateway's own error answers come in our envelope with X-Request-Id."""

from __future__ import annotations

import json

import pytest

from leadgate_dev import template

EXPECTED = {
    "UNAUTHORIZED": (401, "UNAUTHORIZED"),
    "ACCESS_DENIED": (403, "FORBIDDEN"),
    "MISSING_AUTHENTICATION_TOKEN": (404, "NOT_FOUND"),  # unknown route or method
    "THROTTLED": (429, "RATE_LIMITED"),
    "QUOTA_EXCEEDED": (429, "RATE_LIMITED"),
    "AUTHORIZER_FAILURE": (503, "SERVICE_UNAVAILABLE"),
    "DEFAULT_4XX": (400, "BAD_REQUEST"),
    "DEFAULT_5XX": (500, "SERVER_ERROR"),
}


@pytest.fixture(scope="module")
def deployed(transformed) -> dict:
    return transformed["Resources"]["LeadgateApi"]["Properties"]["Body"]["x-amazon-apigateway-gateway-responses"]


@pytest.mark.parametrize(("response_type", "expected"), EXPECTED.items())
def test_gateway_response_is_our_envelope(deployed, response_type, expected):
    status, code = expected
    response = deployed[response_type]
    assert int(response["statusCode"]) == status
    body = json.loads(response["responseTemplates"]["application/json"])
    assert body["status"] == "error"
    assert body["code"] == code
    assert body["errors"] == {}
    assert body["message"]
    assert response["responseParameters"]["gatewayresponse.header.X-Request-Id"] == "context.requestId"


def test_every_deployed_gateway_response_is_an_envelope_with_a_request_id(deployed):
    for response_type, response in deployed.items():
        body = json.loads(response["responseTemplates"]["application/json"])
        assert set(body) == {"status", "message", "code", "errors"}, response_type
        assert "gatewayresponse.header.X-Request-Id" in response["responseParameters"], response_type


def test_throttled_answers_say_when_to_retry(deployed):
    assert deployed["THROTTLED"]["responseParameters"]["gatewayresponse.header.Retry-After"] == "'1'"
    assert int(deployed["AUTHORIZER_FAILURE"]["responseParameters"]["gatewayresponse.header.Retry-After"].strip("'"))


def test_every_gateway_response_is_never_cached_nor_sniffed(deployed):
    for response_type, response in deployed.items():
        parameters = response["responseParameters"]
        assert parameters["gatewayresponse.header.Cache-Control"] == "'no-store'", response_type
        assert parameters["gatewayresponse.header.X-Content-Type-Options"] == "'nosniff'", response_type


def test_parser_reads_the_same_responses(deployed):
    parsed = template.gateway_responses()
    assert set(parsed) == set(deployed)
    unauthorized = parsed["UNAUTHORIZED"]
    assert unauthorized.status == 401
    assert json.loads(unauthorized.body_template)["code"] == "UNAUTHORIZED"
    assert unauthorized.render_headers({"requestId": "abc"})["X-Request-Id"] == "abc"
