"""The tags catalog's and the jobs' routes, driven through API Gateway events with arbitrary JSON, bytes, content
types, paths and queries: never a 5xx, every 4xx in the envelope; a tag a 2xx stored reads back by id and in
the catalog, and every tag a lead write stores appears in the catalog with a count."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies as s
from tests.support.gateway import json_text, leads, request, segment
from tests.support.strategies import suite

WRITES = [("POST", "/api/v1/tags"), ("PUT", "/api/v1/tags/{id}"), ("PATCH", "/api/v1/tags/{id}")]
WRITE_IDS = [f"{method} {path}" for method, path in WRITES]
colors = st.one_of(st.sampled_from(["#00ff88", "#ABCDEF", "red", "#12345", None]), s.texts)
tag_bodies = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(s.tags.map(lambda tags: tags[0] if tags else ""), s.texts),
        "color": colors,
        "description": st.one_of(s.texts, st.none()),
    },
)


def workspace(method: str, path: str, **kwargs: Any):
    return request("workspace", method, path, **kwargs)


def catalog() -> dict[str, dict[str, Any]]:
    """Every tag of the catalog by name, page by page."""
    found: dict[str, dict[str, Any]] = {}
    query = {"per_page": "100"}
    while True:
        page = workspace("GET", "/api/v1/tags", query=query)
        assert page.status == 200, page.body
        found |= {tag["name"]: tag for tag in page.body["data"]}
        if not page.body["meta"]["next_cursor"]:
            return found
        query = {"per_page": "100", "cursor": page.body["meta"]["next_cursor"]}


@pytest.fixture
def tag_id(aws):
    created = workspace("POST", "/api/v1/tags", body=json_text({"name": "base"}))
    assert created.status == 201, created.body
    return created.body["data"]["id"]


def write(route: tuple[str, str], tag_id: int, body: str | bytes, headers: dict[str, str] | None = None):
    method, path = route
    return workspace(method, path.replace("{id}", str(tag_id)), body=body, headers=headers)


def check(route: tuple[str, str], tag_id: int, sent: Any) -> None:
    answer = write(route, tag_id, json_text(sent))
    if answer.status in (200, 201):
        stored = answer.body["data"]
        read = workspace("GET", f"/api/v1/tags/{stored['id']}")
        assert (read.status, read.body["data"]["name"]) == (200, stored["name"]), read.body
        assert stored["name"] in catalog()


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(document=s.json_values)
def test_any_json_document_on_a_tag_write_is_answered_in_the_envelope(route, tag_id, document):
    check(route, tag_id, document)


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(body=tag_bodies)
def test_what_a_tag_write_stores_reads_back(route, tag_id, body):
    check(route, tag_id, body)


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(body=st.one_of(s.raw_bodies, s.json_values.map(json_text)), media_type=s.media_types)
def test_any_bytes_with_any_content_type_on_a_tag_write_are_answered_in_the_envelope(route, tag_id, body, media_type):
    write(route, tag_id, body, headers={"Content-Type": media_type} if media_type else None)


@suite
@given(query=s.queries)
def test_any_tags_list_query_is_answered_in_the_envelope(aws, query):
    assert workspace("GET", "/api/v1/tags", query=query).status in (200, 400, 422)


@suite
@given(text=st.one_of(s.texts, s.plain, st.sampled_from([".", "..", "%", "0", "01", "9007199254740993"])).filter(bool))
def test_any_id_in_a_tag_or_job_path_is_404(aws, text):
    for method, path in (
        ("GET", f"/api/v1/tags/{segment(text)}"),
        ("DELETE", f"/api/v1/tags/{segment(text)}"),
        ("GET", f"/api/v1/jobs/{segment(text)}"),
    ):
        assert workspace(method, path).status == 404, (method, path)


@suite
@given(body=s.lead_bodies)
def test_every_tag_a_lead_write_stores_is_in_the_catalog(aws, body):
    created = leads("POST", "/api/v1/leads", body=json_text(body))
    if created.status != 201:
        return
    counted = {name: tag["lead_count"] for name, tag in catalog().items()}
    assert all(counted.get(tag, 0) >= 1 for tag in created.body["data"]["tags"]), (created.body, counted)
