"""One rule for request bodies on every route that takes one (leadgate.bodies), driven through each
function's handler with API Gateway events: the regressions found by a probe (500s on bad bodies, arrays taken for
objects, form bodies echoed) and the media types that must be accepted."""

from __future__ import annotations

import base64
import json

import pytest

from leadgate import bodies
from leadgate.routes import ROUTES
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event

LEAD_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
BODY_ROUTES = [route for route in ROUTES if route.body is not None]
MARKER = "zq-never-echoed-7731"


def route_id(route) -> str:
    return f"{route.method} {route.path}"


def send(invoke, route, *, body=None, headers=None, is_base64=False, raw_base64=False):
    """The route's function answering one request; `is_base64` encodes the bytes given, `raw_base64` sends the
    text as if it were base64."""
    path = route.path.replace("{id}", LEAD_ID)
    event = rest_event(
        route.method,
        path,
        resource=route.path,
        query={"tenant": "acme"},
        headers={"Host": "api.example.com", **(headers or {})},
        body=body,
        authorizer=caller_context(),
    )
    if is_base64:
        event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode(), True
    if raw_base64:
        event["isBase64Encoded"] = True
    status, response_headers, answer = invoke(route.function, event)
    assert status < 500, answer
    return status, response_headers, answer


def assert_error(reply, status: int, code: str) -> dict:
    got, _, body = reply
    assert (got, body["code"]) == (status, code), body
    assert body["status"] == "error"
    assert set(body) >= {"message", "code", "errors"}
    return body


def test_every_route_that_reads_a_body_has_a_rule():
    assert {route_id(route) for route in BODY_ROUTES} == {
        "POST /api/v1/leads",
        "PUT /api/v1/leads/{id}",
        "PATCH /api/v1/leads/{id}",
        "POST /api/v1/leads/{id}/tags",
        "POST /public/api/leads",
        "POST /api/inbound/leads",
        "POST /api/v1/leads/upsert",
        "POST /api/v1/leads/batch",
        "POST /webhooks/{connection_id}",
        "POST /api/v1/pipelines",
        "PUT /api/v1/pipelines/{id}",
        "PATCH /api/v1/pipelines/{id}",
        "POST /api/v1/pipelines/{id}/stages",
        "PUT /api/v1/pipelines/{id}/stages/{stage_id}",
        "PATCH /api/v1/pipelines/{id}/stages/{stage_id}",
        "POST /api/v1/users",
        "PUT /api/v1/users/{id}",
        "PATCH /api/v1/users/{id}",
        "POST /api/v1/tags",
        "PUT /api/v1/tags/{id}",
        "PATCH /api/v1/tags/{id}",
        "POST /api/v1/webhook-endpoints",
        "PATCH /api/v1/webhook-endpoints/{id}",
        "POST /api/v1/webhook-endpoints/{id}/recover",
        "POST /api/v1/integrations",
        "PUT /api/v1/integrations/{id}",
        "PATCH /api/v1/integrations/{id}",
        "POST /api/v1/forms",
        "PUT /api/v1/forms/{id}",
        "PATCH /api/v1/forms/{id}",
        "POST /api/v1/forms/{id}/submissions",
        "POST /api/v1/automations",
        "PUT /api/v1/automations/{id}",
        "PATCH /api/v1/automations/{id}",
    }
    assert bodies.BATCH.max_bytes > bodies.SINGLE_LEAD.max_bytes


JSON_TYPE = {"Content-Type": "application/json"}


def deep_json(route) -> str:
    levels = min(10_000, route.body.max_bytes // 2)  # within the route's size limit (tags: 4 KiB)
    return "[" * levels + "]" * levels


# (what, request, status, code): every route with a body answers each of these the same way.
REFUSALS = [
    ("10,000-deep JSON", lambda route: {"body": deep_json(route), "headers": JSON_TYPE}, 400, "INVALID_JSON"),
    (
        "invalid UTF-8",
        lambda route: {"body": b'{"first_name": "\xff\xfe"}', "headers": JSON_TYPE, "is_base64": True},
        400,
        "INVALID_JSON",
    ),
    (
        "invalid base64",
        lambda route: {"body": "%%%not-base64%%%", "headers": JSON_TYPE, "raw_base64": True},
        400,
        "INVALID_JSON",
    ),
    *[
        (
            content_type,
            lambda route, content_type=content_type: {
                "body": '{"first_name": "A"}',
                "headers": {"Content-Type": content_type},
            },
            415,
            "UNSUPPORTED_MEDIA_TYPE",
        )
        for content_type in (
            "text/plain",
            "application/xml",
            "application/json; charset=latin-1",
            "multipart/form-data",
        )
    ],
    (
        "a 6 MB body",
        lambda route: {"body": json.dumps({"notes": "x" * 6 * 1024 * 1024}), "headers": JSON_TYPE},
        413,
        "PAYLOAD_TOO_LARGE",
    ),
    *[
        (
            f"top-level {document!r}",
            lambda route, document=document: {"body": json.dumps(document), "headers": JSON_TYPE},
            422,
            "VALIDATION_FAILED",
        )
        for document in ([{"first_name": "A"}, {"first_name": "B"}], [], "text", 7, None)
    ],
    *[
        (
            literal,
            lambda route, literal=literal: {"body": '{"custom_fields": {"n": ' + literal + "}}", "headers": JSON_TYPE},
            400,
            "INVALID_JSON",
        )
        for literal in ("NaN", "Infinity", "-Infinity", "1e400")
    ],
    ("an empty body", lambda route: {"body": "", "headers": JSON_TYPE}, 400, "BAD_REQUEST"),
    (
        "a form body",
        lambda route: {"body": FORM_BODY, "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        415,
        "UNSUPPORTED_MEDIA_TYPE",
    ),
    ("a form body sent as JSON", lambda route: {"body": FORM_BODY, "headers": JSON_TYPE}, 400, "INVALID_JSON"),
]
FORM_BODY = f"first_name={MARKER}&email={MARKER}%40example.com"


@pytest.mark.parametrize("route", BODY_ROUTES, ids=route_id)
def test_every_body_route_refuses_bad_bodies_in_the_envelope_without_echoing_them(aws, invoke, route):
    wrong = []
    for what, request, status, code in REFUSALS:
        if status == 422 and isinstance(json.loads(request(route)["body"]), route.body.top_level):
            continue  # a top-level type this route takes (a webhook delivery may be an array)
        got, _, answer = send(invoke, route, **request(route))
        if (got, answer.get("code"), answer.get("status")) != (status, code, "error"):
            wrong.append((what, got, answer))
        elif MARKER in json.dumps(answer, ensure_ascii=False):
            wrong.append((what, "echoed", answer))
    assert wrong == []


@pytest.mark.parametrize("route", BODY_ROUTES, ids=route_id)
def test_brackets_inside_strings_do_not_count_as_nesting(aws, invoke, route):
    text = json.dumps({"notes": "[" * 100 + "{" * 100})
    _, _, answer = send(invoke, route, body=text, headers=JSON_TYPE)
    assert answer is None or answer.get("code") != "INVALID_JSON", answer


def test_an_array_of_leads_on_create_creates_nothing(aws, invoke):
    route = next(route for route in BODY_ROUTES if route_id(route) == "POST /api/v1/leads")
    send(invoke, route, body=[{"first_name": "A"}, {"first_name": "B"}])
    status, _, listed = invoke("leads", rest_event("GET", "/api/v1/leads", authorizer=caller_context()))
    assert (status, listed["data"]) == (200, [])


def test_pydantic_never_reflects_the_input(aws, invoke):
    route = next(route for route in BODY_ROUTES if route_id(route) == "POST /api/v1/leads")
    for document in (
        {"first_name": {"nested": MARKER}},
        {"first_name": "A", "email": f"{MARKER}@@example"},
        {"first_name": "A", MARKER: 1},
        {"first_name": "A", "lead_score": MARKER},
    ):
        status, _, answer = send(invoke, route, body=document)
        assert status == 422, answer
        assert MARKER not in json.dumps(answer["errors"].get("body", [])) + answer["message"]
        assert all(MARKER not in message for messages in answer["errors"].values() for message in messages)


@pytest.mark.parametrize(
    "content_type", ["APPLICATION/JSON", "application/json; charset=UTF-8", 'Application/Json;Charset="utf-8"', None]
)
def test_json_is_recognised_whatever_its_case_and_parameters(aws, invoke, content_type):
    """A missing Content-Type with a body means JSON (docs/design.md)."""
    route = next(route for route in BODY_ROUTES if route_id(route) == "POST /api/v1/leads")
    headers = {"Content-Type": content_type} if content_type else {}
    status, _, answer = send(invoke, route, body=json.dumps({"first_name": "Case"}), headers=headers)
    assert status == 201, answer
    assert answer["data"]["first_name"] == "Case"


def test_merge_patch_json_is_accepted_on_patch_only(aws, invoke):
    create = next(route for route in BODY_ROUTES if route_id(route) == "POST /api/v1/leads")
    _, _, created = send(invoke, create, body={"first_name": "Before", "company": "Acme"})
    lead_id = created["data"]["id"]
    patch = rest_event(
        "PATCH",
        f"/api/v1/leads/{lead_id}",
        resource="/api/v1/leads/{id}",
        headers={"Content-Type": "application/merge-patch+json"},
        body=json.dumps({"first_name": "After", "company": None}),
        authorizer=caller_context(),
    )
    status, _, patched = invoke("leads", patch)
    assert status == 200, patched
    assert (patched["data"]["first_name"], patched["data"]["company"]) == ("After", None)

    refused = send(invoke, create, body='{"first_name": "A"}', headers={"Content-Type": "application/merge-patch+json"})
    assert_error(refused, 415, "UNSUPPORTED_MEDIA_TYPE")
