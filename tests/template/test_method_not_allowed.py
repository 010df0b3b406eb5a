"""A method a declared resource does not have is 405 with `Allow`: one MOCK `ANY` method per resource, public,
answering in our envelope without invoking a function; the local gateway reads the same declaration."""

from __future__ import annotations

import json
from collections import defaultdict

import pytest

from leadgate_dev import template
from tests.template.translate import mock_methods

METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def declared_methods() -> dict[str, str]:
    """Each resource of the template's routes, and its methods as `Allow` lists them."""
    methods: dict[str, set[str]] = defaultdict(set)
    for route in template.api_routes():
        methods[route.path].add(route.method)
    return {path: ", ".join(method for method in METHOD_ORDER if method in found) for path, found in methods.items()}


@pytest.fixture(scope="module")
def deployed(transformed) -> dict[str, dict]:
    return mock_methods(transformed)


def test_every_resource_has_a_mock_any_method_and_nothing_else_has_one(deployed):
    assert set(deployed) == set(declared_methods())


@pytest.mark.parametrize(("path", "allow"), declared_methods().items())
def test_the_mock_answers_405_in_the_envelope_with_the_resources_methods(deployed, path, allow):
    operation = deployed[path]
    integration = operation["x-amazon-apigateway-integration"]
    answer = integration["responses"]["default"]

    assert integration["type"] == "mock"
    assert answer["statusCode"] == "405"
    headers = answer["responseParameters"]
    assert headers["method.response.header.Allow"] == f"'{allow}'"
    assert headers["method.response.header.X-Request-Id"] == "context.requestId"
    assert headers["method.response.header.Cache-Control"] == "'no-store'"
    assert headers["method.response.header.X-Content-Type-Options"] == "'nosniff'"
    # API Gateway maps a header only if the method response declares it.
    assert {name.removeprefix("method.response.header.") for name in headers} <= set(
        operation["responses"]["405"]["headers"]
    )
    envelope = json.loads(answer["responseTemplates"]["application/json"])
    assert (envelope["status"], envelope["code"], envelope["errors"]) == ("error", "METHOD_NOT_ALLOWED", {})


def test_the_mock_needs_neither_a_token_nor_an_api_key(deployed):
    # Like API Gateway's own 404: a wrong method is answered before anything is checked or counted.
    assert all(operation["security"] == [] for operation in deployed.values())


def test_the_local_gateway_answers_what_the_template_declares():
    answers = template.method_not_allowed()

    assert {path: answer.headers["Allow"] for path, answer in answers.items()} == {
        path: f"'{allow}'" for path, allow in declared_methods().items()
    }
    assert {answer.status for answer in answers.values()} == {405}
