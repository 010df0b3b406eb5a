"""The workspace routes (pipelines and stages), driven like the leads routes (tests/property/test_routes.py): any
query, path segment, JSON document, bytes and media type; never a 5xx, every 4xx in the envelope, and what a
write stores reads back."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies as s
from tests.support.gateway import json_text, request, segment
from tests.support.strategies import suite

WRITES = [
    ("POST", "/api/v1/pipelines"),
    ("PUT", "/api/v1/pipelines/1"),
    ("PATCH", "/api/v1/pipelines/1"),
    ("POST", "/api/v1/pipelines/1/stages"),
    ("PUT", "/api/v1/pipelines/1/stages/2"),
    ("PATCH", "/api/v1/pipelines/1/stages/2"),
]
READS = [
    "/api/v1/pipelines",
    "/api/v1/pipelines/1",
    "/api/v1/pipelines/1/stats",
    "/api/v1/pipelines/1/stages",
    "/api/v1/pipelines/1/stages/2",
]
WRITE_IDS = [f"{method} {path}" for method, path in WRITES]

stage_bodies = st.fixed_dictionaries(
    {"name": s.mostly_plain},
    optional={
        "probability": st.one_of(st.integers(-5, 105), s.scalars),
        "type": st.one_of(st.sampled_from(["open", "won", "lost"]), s.texts),
        "position": st.one_of(st.integers(-1, 60), s.scalars),
        "archived": st.one_of(st.booleans(), s.scalars),
    },
)
pipeline_bodies = st.fixed_dictionaries(
    {"name": s.mostly_plain},
    optional={
        "position": st.one_of(st.integers(-1, 60), s.scalars),
        "archived": st.one_of(st.booleans(), s.scalars),
        "stages": st.lists(stage_bodies, max_size=3),
        "stage_ids": st.one_of(st.permutations([1, 2, 3, 4, 5, 6]), st.lists(st.integers(-1, 9), max_size=7)),
    },
)


def workspace(method: str, path: str, **kwargs: Any):
    return request("workspace", method, path, **kwargs)


@pytest.fixture
def default_pipeline(aws):
    """The tenant's default pipeline 1 with stages 1-6, made by the first list."""
    assert workspace("GET", "/api/v1/pipelines").status == 200


def read_back() -> None:
    for path in READS:
        answer = workspace("GET", path)
        assert answer.status in (200, 404), (path, answer.body)


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(document=s.json_values)
def test_any_json_document_on_a_workspace_write_is_answered_in_the_envelope(route, default_pipeline, document):
    workspace(*route, body=json_text(document))
    read_back()


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(data=st.data())
def test_what_a_workspace_write_stores_reads_back(route, default_pipeline, data):
    body = data.draw(stage_bodies if "stages" in route[1] else pipeline_bodies)
    answer = workspace(*route, body=json_text(body))
    assert answer.status in (200, 201, 409, 412, 422), answer.body
    read_back()


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(body=st.one_of(s.raw_bodies, s.json_values.map(json_text)), media_type=s.media_types)
def test_any_bytes_with_any_content_type_on_a_workspace_write(route, default_pipeline, body, media_type):
    workspace(*route, body=body, headers={"Content-Type": media_type} if media_type else None)


@suite
@given(query=s.queries)
def test_any_workspace_list_query_is_answered_in_the_envelope(default_pipeline, query):
    for path in ("/api/v1/pipelines", "/api/v1/pipelines/1/stages", "/api/v1/pipelines/1/stats"):
        assert workspace("GET", path, query=query).status in (200, 400, 422)


@suite
@given(
    text=st.one_of(s.texts, s.plain, st.sampled_from([".", "..", "%", "0", "01", "-1", "9007199254740993"])).filter(
        bool
    )
)
def test_any_id_in_a_workspace_path_is_answered_in_the_envelope(default_pipeline, text):
    for method, path in (
        ("GET", f"/api/v1/pipelines/{segment(text)}"),
        ("DELETE", f"/api/v1/pipelines/{segment(text)}"),
        ("GET", f"/api/v1/pipelines/{segment(text)}/stages"),
        ("GET", f"/api/v1/pipelines/{segment(text)}/stats"),
        ("GET", f"/api/v1/pipelines/1/stages/{segment(text)}"),
        ("DELETE", f"/api/v1/pipelines/1/stages/{segment(text)}"),
    ):
        assert workspace(method, path).status in (204, 200, 404, 409), (method, path)
