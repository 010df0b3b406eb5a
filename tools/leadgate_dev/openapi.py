"""`make openapi`: the API description (docs/openapi.json), generated from the handlers.

    python -m leadgate_dev.openapi [--check]

Powertools generates each function's operations from its resolver (`OpenAPIMerge.add_file`, one handler per
function with API routes in the template). `enrich()` then adds, in one step, only what the resolvers cannot
say by construction:

- the template's path parameter names (`{id}`; the handlers say `lead_id`, as `id` would shadow a builtin);
- the OAuth2 client-credentials scheme and each operation's scopes, from `leadgate.routes.ROUTES`;
- the error envelope as a component, its `code` values collected from the source and the gateway responses,
  in place of Powertools' own validation-error schema (our resolver renders 422s in the envelope);
- the errors the gateway and the resolver give on every route (401/403 when authenticated, 429, 500);
- the response headers: `X-Request-Id` everywhere, the rate-limit headers on authenticated routes,
  `Retry-After` on 429 and 503;
- links from a created lead to reading, changing and deleting it (schemathesis' stateful phase);
- the HOTLEAD and LeadHub request examples (openapi_examples.json, from /work/shared/reference/);
- a tag per function, and components nothing refers to dropped.

A response, header or example a handler declares itself is kept: enrichment only fills what is missing. The
description is written to docs/openapi.json and, for the docs function to serve, functions/docs/openapi.json;
`--check` fails when either differs from what the code generates.
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import sys
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, get_args, get_type_hints

from leadgate.routes import ROUTES, Route
from leadgate_dev import template as cfn
from leadgate_dev.harness.functions import FUNCTIONS_DIR, ROOT, load_module

DESCRIPTION_PATH = ROOT / "docs" / "openapi.json"
SERVED_COPY_PATH = FUNCTIONS_DIR / "docs" / "openapi.json"
EXAMPLES_PATH = Path(__file__).with_name("openapi_examples.json")
LEADGATE_SOURCE = ROOT / "layers" / "common" / "python" / "leadgate"

TITLE = "leadgate"
SECURITY_SCHEME = "oauth2"
TOKEN_URL = "/oauth2/token"
ERROR_SCHEMA = "ErrorEnvelope"  # leadgate.envelopes.ErrorEnvelope, which the handlers declare
SUCCESS = "2"  # the first digit of a success status
POWERTOOLS_VALIDATION_SCHEMAS = ("HTTPValidationError", "ValidationError")

DESCRIPTION = """Lead intake and lead management. Every route but the public ones needs a bearer token from
`POST /oauth2/token` (OAuth2 client credentials, HTTP Basic or form). Errors use one envelope
(`#/components/schemas/ErrorEnvelope`), and every response carries `X-Request-Id`. In a query string an empty value
means "not given", a parameter a route does not declare is 422, and so is the value `null` (leave the parameter
out instead)."""

# Only X-Request-Id is always there: counting fails open (no rate-limit headers then), and the gateway's own
# answers (401, 403, its throttle) come before it.
HEADERS: dict[str, dict[str, Any]] = {
    "X-Request-Id": {
        "description": "The request's id, also in the logs.",
        "required": True,
        "schema": {"type": "string"},
    },
    "X-RateLimit-Limit": {"description": "Requests allowed in the window.", "schema": {"type": "integer"}},
    "X-RateLimit-Remaining": {"description": "Requests left in the window.", "schema": {"type": "integer"}},
    "X-RateLimit-Reset": {"description": "When the window resets (Unix seconds).", "schema": {"type": "integer"}},
    "RateLimit-Policy": {"description": "The client's policies (IETF RateLimit fields).", "schema": {"type": "string"}},
    "RateLimit": {"description": "The closest limit's state (IETF RateLimit fields).", "schema": {"type": "string"}},
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}},
    "WWW-Authenticate": {"description": "The authentication scheme (`Bearer`).", "schema": {"type": "string"}},
}
RATE_LIMIT_HEADERS = (
    "X-RateLimit-Limit",
    "X-RateLimit-Remaining",
    "X-RateLimit-Reset",
    "RateLimit-Policy",
    "RateLimit",
)
RETRY_STATUSES = ("429", "503")

# status -> (description, extra headers): what the gateway or the resolver can answer on a route.
AUTHENTICATED_ERRORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "401": ("The access token is missing, invalid or expired (`UNAUTHORIZED`).", ("WWW-Authenticate",)),
    "403": ("The token lacks the route's scope, or the client has no API key (`FORBIDDEN`).", ()),
}
# The resolver's body rule (leadgate.bodies), before the handler runs, on every route that takes a body.
BODY_ERRORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "400": ("The body cannot be read (`BAD_REQUEST`, `INVALID_JSON`).", ()),
    "413": ("The body is too large (`PAYLOAD_TOO_LARGE`).", ()),
    "415": ("The body is not JSON (`UNSUPPORTED_MEDIA_TYPE`).", ()),
}
NO_CONTENT = "204"
EMPTY_VALUE = {"type": "string", "maxLength": 0}
EVERY_ROUTE_ERRORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "429": ("Over the client's rate limit or the stage's throttle (`RATE_LIMITED`).", ()),
    "500": ("An unexpected error (`SERVER_ERROR`).", ()),
}

# (method, path) of a creating operation -> link name -> (method, path) it leads to; `{id}` is the new lead's.
LINKS: dict[tuple[str, str], dict[str, tuple[str, str]]] = {
    ("POST", "/api/v1/leads"): {
        "GetLead": ("GET", "/api/v1/leads/{id}"),
        "ReplaceLead": ("PUT", "/api/v1/leads/{id}"),
        "PatchLead": ("PATCH", "/api/v1/leads/{id}"),
        "DeleteLead": ("DELETE", "/api/v1/leads/{id}"),
        "AddTag": ("POST", "/api/v1/leads/{id}/tags"),
        "ListInquiries": ("GET", "/api/v1/leads/{id}/inquiries"),
    },
}
CREATED_LEAD_ID = "$response.body#/data/id"


# ------------------------------------------------------------------ generation


def api_functions(template: dict[str, Any] | None = None) -> list[str]:
    """The folders under functions/ that serve API routes, in the template's order."""
    return list(dict.fromkeys(route.function for route in cfn.api_routes(template)))


def from_handlers(functions: Iterable[str]) -> dict[str, Any]:
    """Powertools' description of the handlers, merged. A handler that fails to load is an error, not a warning."""
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    merge = OpenAPIMerge(title=TITLE, version=_api_version(), on_conflict="error")
    for function in functions:
        merge.add_file(FUNCTIONS_DIR / function / "app.py", resolver_name="app")
    with warnings.catch_warnings():
        # OpenAPIMerge reports a handler it could not load, or a merge without paths, as a mere warning.
        warnings.filterwarnings("error", message=r"(?s).*(Failed to load|final schema has no paths)")
        return json.loads(merge.get_openapi_json_schema())


def generate() -> dict[str, Any]:
    functions = api_functions()
    return enrich(with_query_models(from_handlers(functions), functions), examples=load_examples())


def with_query_models(description: dict[str, Any], functions: Iterable[str]) -> dict[str, Any]:
    """Powertools states a query model's fields by type alone; each gets its model's schema (bounds, enums).

    (A rule across parameters cannot be stated: an exploded form object could, but schemathesis then loses
    sight of the parameters and takes `?id=false` for a boolean sent to a string. The query models have none.)"""
    spec = copy.deepcopy(description)
    for (method, path), model in query_models(functions).items():
        operation = spec["paths"][path][method.lower()]
        schemas = _field_schemas(model)
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "query" and parameter["name"] in schemas:
                parameter["schema"] = schemas[parameter["name"]]
    return spec


def query_models(functions: Iterable[str]) -> dict[tuple[str, str], type]:
    """(method, Powertools' path) -> the query model its handler declares."""
    from aws_lambda_powertools.event_handler.openapi.params import Query
    from pydantic import BaseModel

    found: dict[tuple[str, str], type] = {}
    for function in functions:
        app = load_module(function, f"leadgate_openapi_{function}").app
        for route in app._static_routes + app._dynamic_routes:
            for hint in get_type_hints(route.func, include_extras=True).values():
                model, *metadata = get_args(hint) or (hint,)
                if (
                    isinstance(model, type)
                    and issubclass(model, BaseModel)
                    and any(isinstance(m, Query) for m in metadata)
                ):
                    found[(route.method, route.openapi_path)] = model
    return found


def _field_schemas(model: type) -> dict[str, dict[str, Any]]:
    """Each field's JSON schema, or empty; a query parameter is absent rather than null, so null is left out."""
    schema = model.model_json_schema()
    fields = {}
    for name, field in schema.get("properties", {}).items():
        branches = [branch for branch in field.get("anyOf", []) if branch != {"type": "null"}]
        rest = {key: value for key, value in field.items() if key not in ("anyOf", "title", "default")}
        shown = {**(branches[0] if len(branches) == 1 else {"anyOf": branches}), **rest} if branches else rest
        default = field.get("default")
        # An empty value means "not given", whatever the field's type (leadgate.params).
        fields[name] = {"anyOf": [shown, EMPTY_VALUE], **({"default": default} if default is not None else {})}
    return fields


def render(description: dict[str, Any]) -> str:
    return json.dumps(description, indent=2, ensure_ascii=False) + "\n"


def load_examples(path: Path = EXAMPLES_PATH) -> dict[str, dict[str, Any]]:
    """`"METHOD /path"` -> example name -> OpenAPI Example Object."""
    return json.loads(path.read_text(encoding="utf-8"))["examples"]


def _api_version() -> str:
    return cfn.load_template()["Globals"]["Function"]["Environment"]["Variables"]["API_VERSION"]


# ------------------------------------------------------------------ enrichment


def enrich(
    description: dict[str, Any],
    *,
    routes: Iterable[Route] = ROUTES,
    examples: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The generated description with what the resolvers cannot declare (see the module docstring)."""
    spec = copy.deepcopy(description)
    spec["info"] = {**spec.get("info", {}), "title": TITLE, "description": DESCRIPTION}
    spec.setdefault("servers", [{"url": "/"}])
    route_table = {(route.method, route.path): route for route in routes}
    spec["paths"] = _template_paths(spec.get("paths", {}), route_table)
    components = spec.setdefault("components", {})
    components.setdefault("schemas", {})[ERROR_SCHEMA] = error_schema(error_codes())
    components.setdefault("headers", {}).update(copy.deepcopy(HEADERS))
    components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = security_scheme()
    operation_ids = {key: operation["operationId"] for key, operation in _operations(spec)}
    for (method, path), operation in _operations(spec):
        route = route_table.get((method, path))
        if route is None:
            continue  # not a route of ours: the route-set test says so
        operation.setdefault("tags", [route.function])
        if not route.public:
            operation["security"] = [{SECURITY_SCHEME: list(route.scopes or ())}]
        _add_error_responses(operation, route)
        _add_headers(operation, route)
        _add_links(operation, LINKS.get((method, path), {}), operation_ids)
        _add_examples(operation, (examples or {}).get(f"{method} {path}", {}))
    spec["webhooks"] = event_webhooks(components["schemas"])
    _drop_unreferenced_schemas(spec)
    return spec


def event_webhooks(schemas: dict[str, Any]) -> dict[str, Any]:
    """OpenAPI 3.1 `webhooks`: one per event type (leadgate.events.types), its body the event (`Event`) with that
    type; the schemas are added to `schemas`."""
    from leadgate.events.model import Event
    from leadgate.events.types import EVENT_TYPES

    schemas["Event"] = Event.model_json_schema(ref_template="#/components/schemas/{model}")
    webhooks = {}
    for event_type, meaning in EVENT_TYPES.items():
        name = "Event_" + event_type.replace(".", "_")
        schemas[name] = {
            "allOf": [{"$ref": "#/components/schemas/Event"}, {"properties": {"type": {"const": event_type}}}],
            "description": meaning,
        }
        webhooks[event_type] = {
            "post": {
                "summary": event_type,
                "description": meaning,
                "operationId": f"webhook_{event_type.replace('.', '_')}",
                "requestBody": {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{name}"}}}},
                "responses": {"2XX": {"description": "Received (any 2xx)."}},
            }
        }
    return webhooks


def _operations(spec: dict[str, Any]) -> Iterator[tuple[tuple[str, str], dict[str, Any]]]:
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            if isinstance(operation, dict) and "responses" in operation:
                yield (method.upper(), path), operation


def _segments(path: str) -> list[str | None]:
    """`/a/{x}/b` -> ["a", None, "b"]: literal segments, None for a parameter."""
    return [None if part.startswith("{") else part for part in path.strip("/").split("/")]


def _template_paths(paths: dict[str, Any], route_table: dict[tuple[str, str], Route]) -> dict[str, Any]:
    """Renames path parameters to the route table's names (matched by position, literal segments equal)."""
    renamed: dict[str, Any] = {}
    for path, item in paths.items():
        target = next((route.path for route in route_table.values() if _segments(route.path) == _segments(path)), path)
        names = dict(zip(_parameter_names(path), _parameter_names(target), strict=True))
        for operation in item.values():
            if isinstance(operation, dict) and operation.get("summary", "").endswith(f" {path}"):
                operation["summary"] = operation["summary"].removesuffix(path) + target  # Powertools' default
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "path":
                    parameter["name"] = names.get(parameter["name"], parameter["name"])
        renamed.setdefault(target, {}).update(item)
    return renamed


def _parameter_names(path: str) -> list[str]:
    return [part[1:-1] for part in path.strip("/").split("/") if part.startswith("{")]


def security_scheme() -> dict[str, Any]:
    scopes = {
        scope["ScopeName"]: scope.get("ScopeDescription", scope["ScopeName"]) for scope in _resource_server_scopes()
    }
    return {
        "type": "oauth2",
        "description": "Client credentials; the client id and secret go in HTTP Basic or in the form.",
        "flows": {"clientCredentials": {"tokenUrl": TOKEN_URL, "scopes": scopes}},
    }


def _resource_server_scopes() -> list[dict[str, str]]:
    template = cfn.load_template()
    servers = [
        resource["Properties"]
        for resource in template["Resources"].values()
        if resource.get("Type") == "AWS::Cognito::UserPoolResourceServer"
    ]
    return servers[0].get("Scopes", [])


def error_schema(codes: Iterable[str]) -> dict[str, Any]:
    """The envelope model's schema, with its `code` values."""
    from leadgate.envelopes import ErrorEnvelope

    schema = ErrorEnvelope.model_json_schema()
    schema["properties"]["code"]["enum"] = sorted(set(codes))
    return schema


def error_codes(source: Path = LEADGATE_SOURCE, template: dict[str, Any] | None = None) -> set[str]:
    """Every envelope `code`: the error classes' `code` attributes and `code="..."` arguments in the leadgate
    package, and the codes of the template's gateway responses."""
    codes = set()
    for module in sorted(source.rglob("*.py")):
        codes |= _codes_in(ast.parse(module.read_text(encoding="utf-8")))
    for response in cfn.gateway_responses(template).values():
        codes.add(json.loads(response.body_template)["code"])
    return codes


def _codes_in(tree: ast.AST) -> set[str]:
    codes = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            codes |= {
                keyword.value.value
                for keyword in node.keywords
                if keyword.arg == "code"
                and isinstance(keyword.value, ast.Constant)
                and isinstance(keyword.value.value, str)
            }
        elif isinstance(node, ast.ClassDef):
            for statement in node.body:
                if isinstance(statement, ast.Assign):
                    codes |= _assigned_codes(statement)
    return codes


def _assigned_codes(statement: ast.Assign) -> set[str]:
    """`code = "X"` or `status, code = 400, "X"` in a class body."""
    pairs: list[tuple[ast.expr, ast.expr]] = []
    for target in statement.targets:
        if isinstance(target, ast.Tuple) and isinstance(statement.value, ast.Tuple):
            pairs += zip(target.elts, statement.value.elts, strict=False)
        else:
            pairs.append((target, statement.value))
    return {
        value.value
        for target, value in pairs
        if isinstance(target, ast.Name)
        and target.id == "code"
        and isinstance(value, ast.Constant)
        and isinstance(value.value, str)
    }


def _error_content() -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_SCHEMA}"}}}


def _add_error_responses(operation: dict[str, Any], route: Route) -> None:
    responses = operation.setdefault("responses", {})
    # Powertools declares its own validation-error body; our resolver answers 422 in the envelope.
    validation = responses.get("422", {})
    if _refers_to(validation, POWERTOOLS_VALIDATION_SCHEMAS):
        if operation.get("parameters") or operation.get("requestBody"):
            responses["422"] = {
                "description": "The request is invalid (`VALIDATION_FAILED`).",
                "content": _error_content(),
            }
        else:
            del responses["422"]  # nothing declared, so nothing Powertools could find invalid
    common = {
        **({} if route.public else AUTHENTICATED_ERRORS),
        **(BODY_ERRORS if route.body else {}),
        **EVERY_ROUTE_ERRORS,
    }
    for status, response in responses.items():
        if status == NO_CONTENT:
            response.pop("content", None)  # Powertools gives every response a JSON body
    for status, (description, headers) in common.items():
        response = responses.setdefault(status, {"description": description, "content": _error_content()})
        for header in headers:
            response.setdefault("headers", {})[header] = _header(header)


def _refers_to(value: Any, schema_names: Iterable[str]) -> bool:
    text = json.dumps(value)
    return any(f"#/components/schemas/{name}" in text for name in schema_names)


def _header(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/headers/{name}"}


def _add_headers(operation: dict[str, Any], route: Route) -> None:
    for status, response in operation["responses"].items():
        headers = response.setdefault("headers", {})
        headers.setdefault("X-Request-Id", _header("X-Request-Id"))
        if not route.public:
            for name in RATE_LIMIT_HEADERS:
                headers.setdefault(name, _header(name))
        if status in RETRY_STATUSES:
            headers.setdefault("Retry-After", _header("Retry-After"))


def _add_links(
    operation: dict[str, Any], links: dict[str, tuple[str, str]], operation_ids: dict[tuple[str, str], str]
) -> None:
    if not links:
        return
    for status, response in operation["responses"].items():
        if status.startswith(SUCCESS):
            response.setdefault("links", {}).update(
                {
                    name: {"operationId": operation_ids[target], "parameters": {"id": CREATED_LEAD_ID}}
                    for name, target in links.items()
                    if target in operation_ids
                }
            )


def _add_examples(operation: dict[str, Any], examples: dict[str, Any]) -> None:
    """Request examples go on the JSON body; a route whose handler still parses its body by hand gets a body
    without a schema, which says exactly that: any JSON, checked by the handler."""
    if not examples:
        return
    body = operation.setdefault("requestBody", {"required": True, "content": {}})
    media = body.setdefault("content", {}).setdefault("application/json", {})
    media.setdefault("examples", {}).update(copy.deepcopy(examples))


def _drop_unreferenced_schemas(spec: dict[str, Any]) -> None:
    schemas = spec.get("components", {}).get("schemas", {})
    while True:
        text = json.dumps({key: value for key, value in spec.items() if key != "components"}) + json.dumps(
            {name: schema for name, schema in schemas.items()}
        )
        unused = [name for name in schemas if f'"#/components/schemas/{name}"' not in text]
        if not unused:
            return
        for name in unused:
            del schemas[name]


# ------------------------------------------------------------------ the command


def write(text: str, paths: Iterable[Path] = (DESCRIPTION_PATH, SERVED_COPY_PATH)) -> None:
    for path in paths:
        path.write_text(text, encoding="utf-8")


def stale(text: str, paths: Iterable[Path] = (DESCRIPTION_PATH, SERVED_COPY_PATH)) -> list[Path]:
    return [path for path in paths if not path.exists() or path.read_text(encoding="utf-8") != text]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m leadgate_dev.openapi", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when the committed description is stale")
    options = parser.parse_args(argv)
    text = render(generate())
    if options.check:
        outdated = stale(text)
        for path in outdated:
            print(f"{path.relative_to(ROOT)} is stale: run `make openapi`", file=sys.stderr)
        return 1 if outdated else 0
    write(text)
    print(f"wrote {DESCRIPTION_PATH.relative_to(ROOT)} and {SERVED_COPY_PATH.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
