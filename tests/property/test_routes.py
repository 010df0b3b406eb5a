"""Every route, driven through API Gateway events with arbitrary JSON, text, bytes, content types, paths and
queries: never a 5xx, every 4xx in the envelope, and whatever a 2xx stored reads back through every read
route (tests/support/gateway.py holds the checks)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadgate_dev.harness import Reply
from tests.support import strategies as s
from tests.support.gateway import TENANT, json_text, leads, read_back, request, segment
from tests.support.strategies import suite
from tests.support.users import seed_users

WRITES = [
    ("leads", "POST", "/api/v1/leads"),
    ("leads", "PUT", "/api/v1/leads/{id}"),
    ("leads", "PATCH", "/api/v1/leads/{id}"),
    ("leads", "POST", "/api/v1/leads/{id}/tags"),
    ("inbound", "POST", "/public/api/leads"),
    ("inbound", "POST", "/api/inbound/leads"),
    ("inbound", "POST", "/api/v1/leads/upsert"),
    ("inbound", "POST", "/api/v1/leads/batch"),
]
WRITE_IDS = [f"{method} {path}" for _, method, path in WRITES]


@pytest.fixture
def lead_id(aws):
    """A lead the routes with an {id} write to (one per test: examples share the test's moto state); and users
    1-3, whom a lead may name."""
    seed_users(TENANT, 3)
    created = leads("POST", "/api/v1/leads", body=json_text({"first_name": "Base", "email": "base@example.jp"}))
    assert created.status == 201, created.body
    return created.body["data"]["id"]


def write(route: tuple[str, str, str], lead_id: str, body: str | bytes, headers: dict[str, str] | None = None):
    function, method, path = route
    query = {"tenant": TENANT} if path == "/api/inbound/leads" else None
    return request(function, method, path.replace("{id}", lead_id), body=body, query=query, headers=headers)


def stored_leads(route: tuple[str, str, str], answer: Reply, sent: Any) -> list[dict[str, Any]]:
    """The leads a 2xx answer says it wrote (their ids are enough: read_back reads each again)."""
    path = route[2]
    if path == "/public/api/leads":
        found = leads("GET", "/api/v1/leads/lookup", query={"email": sent["profile"]["email"]})
        assert found.status == 200, found.body
        return [found.body["data"]]
    if path == "/api/inbound/leads":
        return [{"id": answer.body["lead_id"]}] if answer.body.get("lead_id") else []
    if path == "/api/v1/leads/batch":
        return [{"id": item["lead_id"]} for item in answer.body["data"] if item.get("lead_id")]
    return [answer.body["data"]] if answer.body and answer.body.get("data") else []


def check_write(route: tuple[str, str, str], lead_id: str, sent: Any) -> None:
    answer = write(route, lead_id, json_text(sent))
    if answer.status < 300:
        for lead in stored_leads(route, answer, sent):
            read_back(lead)


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(document=s.json_values)
def test_any_json_document_on_a_write_route_is_answered_in_the_envelope(route, lead_id, document):
    check_write(route, lead_id, document)


def _shaped(route: tuple[str, str, str]) -> st.SearchStrategy[Any]:
    """Bodies shaped as the route expects, with any text in every field: these get past the outer checks."""
    path = route[2]
    if path == "/public/api/leads":
        return s.hotlead_bodies
    if path == "/api/v1/leads/{id}/tags":
        return st.fixed_dictionaries({"tag": st.one_of(s.tags.map(lambda tags: tags[0] if tags else ""), s.texts)})
    if path == "/api/v1/leads/batch":
        return st.fixed_dictionaries({"leads": st.lists(s.identified_bodies, min_size=1, max_size=3)})
    if path in ("/api/inbound/leads", "/api/v1/leads/upsert"):
        return s.identified_bodies
    return s.lead_bodies


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(data=st.data())
def test_what_a_write_stores_reads_back_through_every_read_route(route, lead_id, data):
    check_write(route, lead_id, data.draw(_shaped(route)))


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(body=st.one_of(s.raw_bodies, s.json_values.map(json_text)), media_type=s.media_types)
def test_any_bytes_with_any_content_type_are_answered_in_the_envelope(route, lead_id, body, media_type):
    write(route, lead_id, body, headers={"Content-Type": media_type} if media_type else None)


@suite
@given(query=s.queries)
def test_any_list_query_is_answered_in_the_envelope(aws, query):
    answer = leads("GET", "/api/v1/leads", query=query)
    assert answer.status in (200, 400, 422), answer.body


@suite
@given(query=s.queries)
def test_any_stage_history_query_is_answered_in_the_envelope(lead_id, query):
    answer = leads("GET", f"/api/v1/leads/{lead_id}/stage-history", query=query)
    assert answer.status in (200, 400, 422), answer.body


@suite
@given(query=s.queries)
def test_any_lookup_query_is_answered_in_the_envelope(aws, query):
    answer = leads("GET", "/api/v1/leads/lookup", query=query)
    assert answer.status in (404, 409, 422), answer.body


@suite
@given(text=st.one_of(s.texts, s.plain, st.sampled_from([".", "..", "%", "a%2Fb"])).filter(bool), tag=s.texts)
def test_any_id_or_tag_in_the_path_is_answered_in_the_envelope(lead_id, text, tag):
    for method, path in (
        ("GET", f"/api/v1/leads/{segment(text)}"),
        ("GET", f"/api/v1/leads/{segment(text)}/inquiries"),
        ("GET", f"/api/v1/leads/{segment(text)}/stage-history"),
        ("DELETE", f"/api/v1/leads/{segment(text)}"),
        ("DELETE", f"/api/v1/leads/{segment(text)}/tags/{segment(tag)}"),
    ):
        assert leads(method, path).status in (404, 422), (method, path)
    removed = leads("DELETE", f"/api/v1/leads/{lead_id}/tags/{segment(tag)}")
    assert removed.status in (404, 422), removed.body


@suite
@given(query=s.queries, media_type=s.media_types)
def test_usage_and_health_answer_any_query(aws, query, media_type):
    usage = request("usage", "GET", "/api/v1/usage", query=query, headers={"Content-Type": media_type})
    health = request("health", "GET", "/api/v1/health", query=query, authorizer=None)
    assert usage.status == 200
    assert health.status == 200


@suite
@given(form=st.dictionaries(st.sampled_from(["grant_type", "client_id", "client_secret", "scope"]), s.texts))
def test_any_token_request_form_is_answered_in_oauths_format(cognito_token_endpoint, form):
    from urllib.parse import urlencode

    body = urlencode({name: value.encode("utf-8", "surrogatepass") for name, value in form.items()})
    answer = request(
        "token",
        "POST",
        "/oauth2/token",
        body=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        authorizer=None,
    )
    assert answer.status in (400, 401, 413, 429), answer.body


@suite
@given(body=s.raw_bodies, media_type=s.media_types)
def test_any_token_request_body_is_answered_in_oauths_format(cognito_token_endpoint, body, media_type):
    answer = request("token", "POST", "/oauth2/token", body=body, headers={"Content-Type": media_type}, authorizer=None)
    assert answer.status in (400, 401, 413, 415, 429), answer.body
