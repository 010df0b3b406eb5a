"""The users routes, driven like the leads routes (tests/property/test_routes.py): any body, path segment, query
and media type; never a 5xx, every 4xx in the envelope, and what a 2xx stored reads back by id and in the list.
A lead naming any `assigned_user_id` is answered the same way (the leads' write routes send any identifier)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.support import strategies as s
from tests.support.gateway import json_text, leads, request, segment
from tests.support.strategies import suite

USER_WRITES = [("POST", "/api/v1/users"), ("PUT", "/api/v1/users/{id}"), ("PATCH", "/api/v1/users/{id}")]
USER_WRITE_IDS = [f"{method} {path}" for method, path in USER_WRITES]

users_bodies = st.fixed_dictionaries(
    {},
    optional={
        "name": st.one_of(s.mostly_plain, s.texts, st.none(), st.integers()),
        "email": st.one_of(s.emails, s.texts, st.none()),
        "role": st.one_of(st.sampled_from(["admin", "member", "viewer"]), s.texts, st.none()),
        "active": st.one_of(st.booleans(), s.texts, st.none(), st.integers()),
    },
)


def users(method: str, path: str, **kwargs):
    return request("workspace", method, path, **kwargs)


@pytest.fixture
def user_id(aws):
    created = users("POST", "/api/v1/users", body=json_text({"name": "Base", "email": "base@example.jp"}))
    assert created.status == 201, created.body
    return created.body["data"]["id"]


def read_back(user: dict) -> None:
    """A stored user reads back by id, and in the list, with the same record."""
    got = users("GET", f"/api/v1/users/{user['id']}")
    assert got.status == 200, got.body
    assert got.body["data"] == user
    listed = users("GET", "/api/v1/users", query={"per_page": "100"})
    assert user in listed.body["data"]


@pytest.mark.parametrize("route", USER_WRITES, ids=USER_WRITE_IDS)
@suite
@given(document=st.one_of(users_bodies, s.json_values))
def test_any_body_on_a_users_write_is_answered_and_what_it_stores_reads_back(route, user_id, document):
    method, path = route
    answer = users(method, path.replace("{id}", str(user_id)), body=json_text(document))
    if answer.status < 300:
        read_back(answer.body["data"])


@pytest.mark.parametrize("route", USER_WRITES, ids=USER_WRITE_IDS)
@suite
@given(body=st.one_of(s.raw_bodies, s.json_values.map(json_text)), media_type=s.media_types)
def test_any_bytes_with_any_content_type_on_a_users_write_are_answered(route, user_id, body, media_type):
    method, path = route
    users(method, path.replace("{id}", str(user_id)), body=body, headers={"Content-Type": media_type})


@suite
@given(query=s.queries)
def test_any_users_list_query_is_answered_in_the_envelope(aws, query):
    assert users("GET", "/api/v1/users", query=query).status in (200, 400, 422)


@suite
@given(text=st.one_of(s.texts, s.plain, st.integers().map(str)).filter(bool), query=s.queries)
def test_any_id_in_a_users_path_is_answered_in_the_envelope(user_id, text, query):
    path = f"/api/v1/users/{segment(text)}"
    for method, body in (("GET", None), ("PATCH", json_text({"role": "viewer"})), ("DELETE", None)):
        answer = users(method, path, body=body, query=query if method == "DELETE" else None)
        if text != str(user_id):
            assert answer.status in (404, 409, 422), (answer.status, answer.body)


@suite
@given(assigned=st.one_of(st.integers(-1, 2**60), s.mostly_plain, st.booleans(), st.none()))
def test_a_lead_naming_any_user_is_answered_and_counted_only_when_stored(user_id, assigned):
    answer = leads("POST", "/api/v1/leads", body=json.dumps({"first_name": "Any", "assigned_user_id": assigned}))
    assert answer.status in (201, 422), answer.body
    if answer.status == 201:
        assert answer.body["data"]["assigned_user_id"] in (None, user_id)
