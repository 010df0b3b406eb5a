"""The API description and its browsable page: GET /api/v1/openapi.json, /api/v1/docs and the page's assets.

The description is docs/openapi.json, copied beside this module by `make openapi` so that `sam build` packages
it. The Swagger UI assets are the ones Powertools ships in the layer (Swagger UI 5, which reads OpenAPI 3.1),
served from here: no CDN. Public routes, no authorizer.
"""

import copy
import json
from functools import cache
from pathlib import Path
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi import swagger_ui

from leadgate.api import create_resolver
from leadgate.observability import observed

HERE = Path(__file__).parent
SWAGGER_UI = Path(swagger_ui.__file__).parent
EXECUTE_API_DOMAIN = ".amazonaws.com"  # the default endpoint keeps the stage in the path; a custom domain does not
FRESH = "no-cache"  # the page and the description change with each deployment
ASSET = "public, max-age=86400"  # the assets change only with the layer's Powertools
# The page runs a flow in which a client secret is typed: only our own scripts, styles and connections (no inline
# script: the page's is `swagger-initializer.js`), never inside a frame, no Referer to other sites. Swagger UI's
# style sheet draws its icons from `data:` images.
PAGE_SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _text(content: str, content_type: str, cache_control: str) -> Response:
    return Response(
        200, content_type=content_type, body=content, headers={"Cache-Control": cache_control, **PAGE_SECURITY_HEADERS}
    )


def _declared(content_type: str, schema: dict[str, Any], description: str) -> dict[int, dict[str, Any]]:
    return {200: {"description": description, "content": {content_type: {"schema": schema}}}}


@cache
def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def base_path(event: dict[str, Any]) -> str:
    """`/{stage}` when the request came through the execute-api endpoint, else `` (the local stack, a custom
    domain). From API Gateway's request context, never from the Host header a client sends."""
    context = event.get("requestContext") or {}
    domain, stage = str(context.get("domainName") or ""), str(context.get("stage") or "")
    return f"/{stage}" if domain.endswith(EXECUTE_API_DOMAIN) and stage else ""


def served_description(base: str) -> str:
    """The packaged description, its server and token URL under `base`."""
    text = _read(HERE / "openapi.json")
    if not base:
        return text
    description = copy.deepcopy(json.loads(text))
    description["servers"] = [{"url": base}]
    for scheme in description.get("components", {}).get("securitySchemes", {}).values():
        for flow in scheme.get("flows", {}).values():
            if str(flow.get("tokenUrl", "")).startswith("/"):
                flow["tokenUrl"] = base + flow["tokenUrl"]
    return json.dumps(description, indent=2, ensure_ascii=False)


app = create_resolver()


@app.get(
    "/api/v1/openapi.json",
    summary="This API's description (OpenAPI 3.1)",
    responses=_declared("application/json", {"type": "object"}, "The description."),
)
def openapi_description():
    return _text(served_description(base_path(app.current_event.raw_event)), "application/json", FRESH)


@app.get(
    "/api/v1/docs",
    summary="The browsable API description (Swagger UI)",
    responses=_declared("text/html", {"type": "string"}, "The page."),
)
def docs_page():
    return _text(_read(HERE / "index.html"), "text/html; charset=utf-8", FRESH)


@app.get(
    "/api/v1/docs/swagger-ui-bundle.min.js",
    summary="Swagger UI's script",
    responses=_declared("text/javascript", {"type": "string"}, "The script."),
)
def swagger_script():
    return _text(_read(SWAGGER_UI / "swagger-ui-bundle.min.js"), "text/javascript; charset=utf-8", ASSET)


@app.get(
    "/api/v1/docs/swagger-initializer.js",
    summary="The page's script that starts Swagger UI",
    responses=_declared("text/javascript", {"type": "string"}, "The script."),
)
def swagger_initializer():
    return _text(_read(HERE / "swagger-initializer.js"), "text/javascript; charset=utf-8", FRESH)


@app.get(
    "/api/v1/docs/swagger-ui.min.css",
    summary="Swagger UI's style sheet",
    responses=_declared("text/css", {"type": "string"}, "The style sheet."),
)
def swagger_styles():
    return _text(_read(SWAGGER_UI / "swagger-ui.min.css"), "text/css; charset=utf-8", ASSET)


# Responses of megabytes stay out of traces.
lambda_handler = observed(app, capture_response=False)
