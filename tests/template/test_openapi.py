"""docs/openapi.json: generated from the handlers, current, valid OpenAPI 3.1, and true to the route table."""

from __future__ import annotations

import copy
import json

import pytest
from openapi_spec_validator import validate

from leadgate.routes import ROUTES, Route
from leadgate_dev import openapi
from leadgate_dev.template import api_routes


@pytest.fixture(scope="module")
def generated() -> dict:
    return openapi.generate()


def _operations(description: dict) -> dict[tuple[str, str], dict]:
    return {
        (method.upper(), path): operation
        for path, item in description["paths"].items()
        for method, operation in item.items()
    }


def test_the_committed_description_and_its_served_copy_are_what_the_code_generates(generated):
    text = openapi.render(generated)

    assert openapi.stale(text) == [], "docs/openapi.json is stale: run `make openapi`"
    assert openapi.DESCRIPTION_PATH.read_text() == openapi.SERVED_COPY_PATH.read_text()


def test_the_check_command_fails_on_a_stale_copy(tmp_path, generated):
    copy_path = tmp_path / "openapi.json"
    copy_path.write_text(openapi.render(generated).replace('"leadgate"', '"something else"', 1))

    assert openapi.stale(openapi.render(generated), [copy_path]) == [copy_path]


def test_the_operations_are_exactly_the_template_routes(generated):
    assert set(_operations(generated)) == {(route.method, route.path) for route in api_routes()}


def test_the_description_is_valid_openapi_3_1(generated):
    assert generated["openapi"].startswith("3.1.")
    validate(generated)


def test_each_operation_asks_for_the_scopes_of_its_route_and_public_ones_for_nothing(generated):
    operations = _operations(generated)
    scheme = generated["components"]["securitySchemes"][openapi.SECURITY_SCHEME]

    assert scheme["flows"]["clientCredentials"]["tokenUrl"] == "/oauth2/token"
    for route in ROUTES:
        operation = operations[(route.method, route.path)]
        if route.public:
            assert "security" not in operation, route
            # no bearer token to refuse (their own 401s: a client or a signature that fails authentication)
            assert ("401" in operation["responses"]) is (route.path in ("/oauth2/token", "/webhooks/{connection_id}"))
        else:
            assert operation["security"] == [{openapi.SECURITY_SCHEME: list(route.scopes)}], route
            assert set(route.scopes) <= set(scheme["flows"]["clientCredentials"]["scopes"])
            assert {"401", "403", "429", "500"} <= set(operation["responses"]), route


def test_path_parameters_take_the_template_names(generated):
    get_lead = _operations(generated)[("GET", "/api/v1/leads/{id}")]
    remove_tag = _operations(generated)[("DELETE", "/api/v1/leads/{id}/tags/{tag}")]

    assert [p["name"] for p in get_lead["parameters"] if p["in"] == "path"] == ["id"]
    assert [p["name"] for p in remove_tag["parameters"] if p["in"] == "path"] == ["id", "tag"]


def test_every_response_carries_the_request_id_and_authenticated_ones_the_rate_limit_headers(generated):
    for (method, path), operation in _operations(generated).items():
        public = next(route for route in ROUTES if (route.method, route.path) == (method, path)).public
        for status, response in operation["responses"].items():
            headers = response["headers"]
            assert headers["X-Request-Id"] == {"$ref": "#/components/headers/X-Request-Id"}
            assert ("X-RateLimit-Remaining" in headers) is not public, (method, path, status)
            assert ("Retry-After" in headers) is (status in ("429", "503")), (method, path, status)
    assert generated["components"]["headers"]["X-Request-Id"]["required"] is True


def test_errors_use_the_envelope_with_codes_from_the_source_and_the_gateway(generated):
    schemas = generated["components"]["schemas"]
    codes = set(schemas["ErrorEnvelope"]["properties"]["code"]["enum"])

    # a class attribute, a tuple-assigned class attribute, a `code=` argument, a gateway response
    assert {"VALIDATION_FAILED", "IDEMPOTENCY_KEY_REUSED", "DUPLICATE_LEAD", "INVALID_CURSOR", "BAD_REQUEST"} <= codes
    assert not {"HTTPValidationError", "ValidationError"} & set(schemas), "Powertools' 422 body is replaced"
    envelope, oauth = ({"$ref": f"#/components/schemas/{name}"} for name in ("ErrorEnvelope", "OAuthErrorBody"))
    for (_, path), operation in _operations(generated).items():
        for status, response in operation["responses"].items():
            if status.startswith(("4", "5")):
                # The token endpoint speaks OAuth (RFC 6749 §5.2) but for a crash, which is in our envelope.
                expected = oauth if path == "/oauth2/token" and status != "500" else envelope
                assert response["content"]["application/json"]["schema"] == expected, (path, status)


def test_a_created_lead_links_to_reading_changing_and_deleting_it(generated):
    operations = _operations(generated)
    created = operations[("POST", "/api/v1/leads")]["responses"]
    links = next(response["links"] for status, response in created.items() if status.startswith("2"))

    linked = {(link["operationId"], link["parameters"]["id"]) for link in links.values()}
    for method in ("GET", "PUT", "PATCH", "DELETE"):
        assert (operations[(method, "/api/v1/leads/{id}")]["operationId"], "$response.body#/data/id") in linked


def test_the_reference_examples_are_on_their_operations_as_copied(generated):
    examples = openapi.load_examples()
    operations = _operations(generated)

    assert examples, "the examples file is empty"
    for key, named in examples.items():
        method, path = key.split(" ", 1)
        media = operations[(method, path)]["requestBody"]["content"]["application/json"]
        assert media["examples"] == named


def test_enrichment_keeps_what_a_handler_declares_and_maps_parameter_names():
    declared = {"description": "Gone", "content": {"application/json": {"schema": {"type": "object"}}}}
    generated = {
        "openapi": "3.1.0",
        "info": {"title": "x", "version": "1"},
        "paths": {
            "/things/{thing_id}": {
                "get": {
                    "operationId": "get_thing",
                    "parameters": [{"name": "thing_id", "in": "path", "required": True, "schema": {"type": "string"}}],
                    "responses": {"200": {"description": "OK"}, "404": copy.deepcopy(declared)},
                }
            }
        },
    }
    route = Route("GET", "/things/{id}", "things", ("read:things",))

    enriched = openapi.enrich(generated, routes=[route])

    operation = enriched["paths"]["/things/{id}"]["get"]
    assert operation["parameters"][0]["name"] == "id"
    assert operation["responses"]["404"]["content"] == declared["content"]
    assert operation["responses"]["404"]["headers"]["X-Request-Id"]
    assert operation["security"] == [{"oauth2": ["read:things"]}]
    assert json.dumps(generated).count("thing_id") == 2, "the input is not changed"


def test_a_handler_that_fails_to_load_fails_the_generation(tmp_path, monkeypatch):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "app.py").write_text("raise ImportError('no such thing')\n")
    monkeypatch.setattr(openapi, "FUNCTIONS_DIR", tmp_path)

    with pytest.raises(UserWarning, match="Failed to load"):
        openapi.from_handlers(["broken"])
