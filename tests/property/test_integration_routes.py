"""The integration routes and the description's, driven like the leads routes (tests/property/test_routes.py):
any query, path segment, body, media type and signature; never a 5xx, every 4xx in the envelope."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies as s
from tests.support.gateway import request, segment
from tests.support.strategies import suite
from tests.support.webhooks import create, standard_headers

UNSIGNED = (400, 401, 404, 413, 415, 422, 429)  # a delivery without a valid signature


@pytest.fixture
def standard(aws):
    """A Standard Webhooks connection of the suite's tenant, with its signing secret."""
    return create("standard")


def deliver(connection_id: str, body: str | bytes, headers: dict[str, str]):
    return request("webhooks", "POST", f"/webhooks/{connection_id}", body=body, headers=headers, authorizer=None)


@suite
@given(query=s.queries)
def test_any_connections_query_is_answered_in_the_envelope(aws, query):
    assert request("connections", "GET", "/api/v1/connections", query=query).status in (200, 400, 422)


@suite
@given(text=st.one_of(s.texts, s.plain).filter(bool), query=s.queries)
def test_any_connection_id_is_answered_in_the_envelope(standard, text, query):
    connection = segment(text)
    assert request("connections", "GET", f"/api/v1/connections/{connection}").status == 404
    runs = request("connections", "GET", f"/api/v1/connections/{connection}/runs", query=query)
    assert runs.status in (400, 404, 422), runs.body
    own = request("connections", "GET", f"/api/v1/connections/{standard['connection_id']}/runs", query=query)
    assert own.status in (200, 400, 422), own.body


@suite
@given(text=st.one_of(s.texts, s.plain).filter(bool), body=s.raw_bodies, media_type=s.media_types)
def test_any_unsigned_delivery_is_refused_in_the_envelope(standard, text, body, media_type):
    headers = {"Content-Type": media_type} if media_type else {}
    for connection_id in (segment(text), standard["connection_id"]):
        answer = deliver(connection_id, body, headers)
        assert answer.status in UNSIGNED, answer.body


@suite
@given(document=st.one_of(s.json_objects, st.lists(s.json_values, max_size=5), s.json_values))
def test_any_signed_json_is_queued_or_refused_in_the_envelope(standard, document):
    body = json.dumps(document, ensure_ascii=True)
    headers = {
        "Content-Type": "application/json",
        **standard_headers(standard["signing_secret"], "msg_1", body.encode()),
    }
    answer = deliver(standard["connection_id"], body, headers)
    assert answer.status in (202, 400, 413, 422), answer.body


@suite
@given(query=s.queries)
def test_the_description_and_its_page_answer_any_query(aws, query):
    for path in ("/api/v1/openapi.json", "/api/v1/docs"):
        answer = request("docs", "GET", path, query=query, authorizer=None)
        assert answer.status == 200, (path, answer.status)
