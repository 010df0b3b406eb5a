"""The forms routes, driven like the leads routes (tests/property/test_routes.py): any JSON document, bytes and
media type on every write (the public route's form-encoded bodies too), any query and path segment; never a
5xx, every 4xx in the envelope, and what a write stores reads back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies as s
from tests.support.gateway import json_text, request, segment
from tests.support.strategies import suite

FORM = {
    "name": "Contact",
    "fields": [
        {"name": "email", "type": "email", "required": True, "maps_to": "email"},
        {"name": "your_name", "maps_to": "display_name"},
        {"name": "topic", "type": "select", "options": ["a", "b"], "maps_to": "custom_fields.topic"},
        {"name": "agree", "type": "checkbox"},
    ],
    "allowed_origins": ["https://www.example.jp"],
    "honeypot_field": "website",
}
WRITES = [
    ("POST", "/api/v1/forms"),
    ("PUT", "/api/v1/forms/1"),
    ("PATCH", "/api/v1/forms/1"),
    ("POST", "/api/v1/forms/1/submissions"),
    ("POST", "/api/v1/forms/1/rotate-public-id"),
]
WRITE_IDS = [f"{method} {path}" for method, path in WRITES]
READS = ["/api/v1/forms", "/api/v1/forms/1", "/api/v1/forms/1/submissions"]

field_bodies = st.fixed_dictionaries(
    {"name": st.one_of(st.sampled_from(["email", "tel", "x_1"]), s.texts)},
    optional={
        "type": st.one_of(st.sampled_from(["text", "email", "tel", "select", "checkbox", "hidden"]), s.scalars),
        "required": st.one_of(st.booleans(), s.scalars),
        "options": st.lists(s.mostly_plain, max_size=3),
        "maps_to": st.one_of(st.sampled_from(["email", "phone", "custom_fields.k", "notes", "lead_score"]), s.texts),
    },
)
form_bodies = st.fixed_dictionaries(
    {"name": s.mostly_plain, "fields": st.lists(field_bodies, max_size=3)},
    optional={
        "allowed_origins": st.lists(st.one_of(st.just("https://a.example"), s.texts), max_size=2),
        "redirect_url": st.one_of(st.just("https://a.example/thanks"), s.texts),
        "honeypot_field": st.one_of(st.just("website"), s.texts),
        "target": st.fixed_dictionaries(
            {}, optional={"pipeline_stage_id": st.integers(-1, 9), "tags": st.lists(s.mostly_plain, max_size=2)}
        ),
        "consents": st.lists(
            st.fixed_dictionaries(
                {"purpose": st.sampled_from(["contact", "x y"]), "text": s.texts, "version": s.plain}
            ),
            max_size=2,
        ),
        "active": st.one_of(st.booleans(), s.scalars),
    },
)
submission_bodies = st.dictionaries(
    st.one_of(st.sampled_from(["email", "your_name", "topic", "agree", "website", "page_url"]), s.texts),
    st.one_of(s.scalars, s.texts, st.sampled_from(["a@example.jp", "a", "on"])),
    max_size=5,
)


def forms(method: str, path: str, **kwargs: Any):
    return request("forms", method, path, **kwargs)


@pytest.fixture
def public_id(aws):
    created = forms("POST", "/api/v1/forms", body=json_text(FORM))
    assert created.status == 201, created.body
    return created.body["data"]["public_id"]


def read_back() -> None:
    for path in READS:
        answer = forms("GET", path)
        assert answer.status in (200, 404), (path, answer.body)


def public(public_id: str, body: str | bytes | None, headers: dict[str, str] | None = None, method: str = "POST"):
    path = f"/public/forms/{public_id}/submissions"
    return request("form_submissions", method, path, body=body, headers=headers, authorizer=None)


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(document=s.json_values)
def test_any_json_document_on_a_forms_write_is_answered_in_the_envelope(route, public_id, document):
    forms(*route, body=json_text(document))
    read_back()


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(data=st.data())
def test_what_a_forms_write_stores_reads_back(route, public_id, data):
    body = data.draw(submission_bodies if "submissions" in route[1] else form_bodies)
    answer = forms(*route, body=json_text(body))
    assert answer.status in (200, 201, 404, 409, 412, 422), answer.body
    read_back()


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(body=st.one_of(s.raw_bodies, s.json_values.map(json_text)), media_type=s.media_types)
def test_any_bytes_with_any_content_type_on_a_forms_write(route, public_id, body, media_type):
    forms(*route, body=body, headers={"Content-Type": media_type} if media_type else None)


@suite
@given(
    body=st.one_of(s.raw_bodies, s.json_values.map(json_text), submission_bodies.map(json_text)),
    media_type=st.one_of(s.media_types, st.just("application/x-www-form-urlencoded")),
)
def test_any_body_on_the_public_route_is_answered_in_the_envelope(public_id, body, media_type):
    answer = public(public_id, body, {"Content-Type": media_type} if media_type else None)
    assert answer.status in (200, 201, 303, 400, 413, 415, 422, 429), answer.body


@suite
@given(query=s.queries)
def test_any_forms_list_query_is_answered_in_the_envelope(public_id, query):
    for path in ("/api/v1/forms", "/api/v1/forms/1/submissions"):
        assert forms("GET", path, query=query).status in (200, 400, 422)


@suite
@given(text=st.one_of(s.texts, s.plain, st.sampled_from([".", "%", "0", "01", "-1", "9007199254740993"])).filter(bool))
def test_any_id_in_a_forms_path_is_answered_in_the_envelope(public_id, text):
    for method, path in (
        ("GET", f"/api/v1/forms/{segment(text)}"),
        ("DELETE", f"/api/v1/forms/{segment(text)}"),
        ("GET", f"/api/v1/forms/{segment(text)}/submissions"),
    ):
        assert forms(method, path).status in (200, 204, 404), (method, path)
    assert public(segment(text), json_text({"email": "a@example.jp"})).status in (404, 422)
    assert public(segment(text), None, method="OPTIONS").status == 204
