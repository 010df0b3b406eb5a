"""The docs function: the packaged description with the right server, the page, and its assets."""

from __future__ import annotations

import json

import pytest

from leadgate_dev import openapi
from leadgate_dev.harness import handle
from leadgate_dev.harness.events import rest_event


def _get(path: str, **event_options) -> dict:
    return handle("docs", rest_event("GET", path, **event_options))


def _header(response: dict, name: str) -> str:
    headers = {**{k: v[-1] for k, v in (response.get("multiValueHeaders") or {}).items()}, **response["headers"]}
    return {key.lower(): value for key, value in headers.items()}[name.lower()]


def test_the_description_is_the_committed_one_on_a_stage_less_host():
    response = _get("/api/v1/openapi.json", headers={"Host": "127.0.0.1:3000"})

    assert response["statusCode"] == 200
    assert _header(response, "Content-Type") == "application/json"
    assert _header(response, "Cache-Control") == "no-cache"
    assert _header(response, "X-Request-Id")
    assert response["body"] == openapi.DESCRIPTION_PATH.read_text()
    assert json.loads(response["body"])["servers"] == [{"url": "/"}]


def test_on_the_execute_api_endpoint_the_server_and_token_url_carry_the_stage():
    event = rest_event("GET", "/api/v1/openapi.json", stage="dev", headers={"Host": "evil.example"})
    event["requestContext"]["domainName"] = "abc123.execute-api.ap-northeast-1.amazonaws.com"

    response = handle("docs", event)

    description = json.loads(response["body"])
    assert description["servers"] == [{"url": "/dev"}]
    flow = description["components"]["securitySchemes"]["oauth2"]["flows"]["clientCredentials"]
    assert flow["tokenUrl"] == "/dev/oauth2/token"
    assert "evil.example" not in response["body"]


def test_a_client_sent_host_ending_like_execute_api_changes_nothing():
    # The local stack takes the request context's domain from the Host header, as a custom domain would not.
    response = _get("/api/v1/openapi.json", stage="dev", headers={"Host": "127.0.0.1:3000"})

    assert json.loads(response["body"])["servers"] == [{"url": "/"}]


def test_the_page_loads_swagger_ui_from_our_own_assets():
    response = _get("/api/v1/docs")

    assert response["statusCode"] == 200
    assert _header(response, "Content-Type") == "text/html; charset=utf-8"
    page = response["body"]
    assert 'src="docs/swagger-ui-bundle.min.js"' in page
    assert 'href="docs/swagger-ui.min.css"' in page
    assert 'src="docs/swagger-initializer.js"' in page
    assert "://" not in page, "no absolute URL: nothing from a CDN"


@pytest.mark.parametrize("path", ["/api/v1/docs", "/api/v1/openapi.json", "/api/v1/docs/swagger-initializer.js"])
def test_the_page_and_what_it_loads_allow_only_our_own_scripts_and_no_framing(path):
    response = _get(path)

    policy = {
        directive.split()[0]: directive.split()[1:]
        for directive in _header(response, "Content-Security-Policy").split("; ")
    }
    assert policy["default-src"] == policy["script-src"] == ["'self'"]  # no 'unsafe-inline', no other origin
    assert policy["frame-ancestors"] == ["'none'"]
    assert _header(response, "X-Frame-Options") == "DENY"
    assert _header(response, "Referrer-Policy") == "no-referrer"
    assert "<script>" not in _get("/api/v1/docs")["body"], "no inline script"


def test_the_page_script_starts_swagger_ui_on_the_relative_description():
    response = _get("/api/v1/docs/swagger-initializer.js")

    assert response["statusCode"] == 200
    assert _header(response, "Content-Type") == "text/javascript; charset=utf-8"
    assert _header(response, "Cache-Control") == "no-cache"
    assert 'url: "openapi.json"' in response["body"]


@pytest.mark.parametrize(
    ("path", "content_type", "marker"),
    [
        ("/api/v1/docs/swagger-ui-bundle.min.js", "text/javascript; charset=utf-8", "SwaggerUIBundle"),
        ("/api/v1/docs/swagger-ui.min.css", "text/css; charset=utf-8", ".swagger-ui"),
    ],
)
def test_the_assets_are_served_with_their_type_and_cached(path, content_type, marker):
    response = _get(path)

    assert response["statusCode"] == 200
    assert _header(response, "Content-Type") == content_type
    assert _header(response, "Cache-Control") == "public, max-age=86400"
    assert marker in response["body"]
    assert not response.get("isBase64Encoded")
