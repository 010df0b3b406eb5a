"""The webhook endpoints routes, driven like the workspace routes (tests/property/test_workspace_routes.py): any
JSON document, bytes and media type, query and path segment; never a 5xx, every 4xx in the envelope, and what a
write stores reads back without its secret. URLs are drawn from address literals (no DNS lookups)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadgate.aws import reset_clients
from tests.support import strategies as s
from tests.support.gateway import json_text, request, segment
from tests.support.strategies import suite

BASE = "/api/v1/webhook-endpoints"
WRITES = [
    ("POST", BASE),
    ("PATCH", f"{BASE}/1"),
    ("POST", f"{BASE}/1/recover"),
]
READS = [BASE, f"{BASE}/1", f"{BASE}/1/deliveries"]
WRITE_IDS = [f"{method} {path}" for method, path in WRITES]

urls = st.one_of(
    st.sampled_from(
        [
            "https://93.184.215.14/hook",
            "http://127.0.0.1:9/hook",
            "https://10.1.2.3/",
            "https://169.254.169.254/latest/meta-data",
            "https://[::1]/",
            "ftp://93.184.215.14/",
            "https://user:pw@93.184.215.14/",
            "https:///nohost",
        ]
    ),
    s.texts.filter(lambda text: "://" not in text),
)
endpoint_bodies = st.fixed_dictionaries(
    {"url": urls},
    optional={
        "event_types": st.one_of(
            st.lists(
                st.sampled_from(["*", "lead.*", "lead.created", "form.submitted", "Lead", "a..b", ""]), max_size=4
            ),
            s.scalars,
        ),
        "description": st.one_of(s.mostly_plain, s.scalars),
        "active": st.one_of(st.booleans(), s.scalars),
        "rate_limit": st.one_of(st.integers(-1, 2000), s.scalars),
    },
)


def endpoints(method: str, path: str, **kwargs: Any):
    return request("webhook_endpoints", method, path, **kwargs)


@pytest.fixture
def endpoint(aws, monkeypatch):
    """Endpoint 1 of the tenant, so that the id routes reach the service."""
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "true")
    reset_clients()
    assert endpoints("POST", BASE, body=json_text({"url": "http://127.0.0.1:9/hook"})).status == 201


def read_back() -> None:
    for path in READS:
        answer = endpoints("GET", path)
        assert answer.status in (200, 404), (path, answer.body)
        assert "secret" not in str(answer.body), path


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(document=s.json_values)
def test_any_json_document_on_an_endpoint_write_is_answered_in_the_envelope(route, endpoint, document):
    endpoints(*route, body=json_text(document))
    read_back()


@pytest.mark.parametrize("route", WRITES[:2], ids=WRITE_IDS[:2])
@suite
@given(body=endpoint_bodies)
def test_what_an_endpoint_write_stores_reads_back(route, endpoint, body):
    answer = endpoints(*route, body=json_text(body))
    assert answer.status in (200, 201, 409, 412, 422), answer.body
    read_back()


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(body=st.one_of(s.raw_bodies, s.json_values.map(json_text)), media_type=s.media_types)
def test_any_bytes_with_any_content_type_on_an_endpoint_write(route, endpoint, body, media_type):
    endpoints(*route, body=body, headers={"Content-Type": media_type} if media_type else None)


@suite
@given(query=s.queries)
def test_any_endpoint_list_query_is_answered_in_the_envelope(endpoint, query):
    for path in (BASE, f"{BASE}/1/deliveries"):
        assert endpoints("GET", path, query=query).status in (200, 400, 422)


@suite
@given(
    text=st.one_of(s.texts, s.plain, st.sampled_from([".", "..", "%", "0", "01", "-1", "9007199254740993"])).filter(
        bool
    )
)
def test_any_id_in_an_endpoint_path_is_answered_in_the_envelope(endpoint, text):
    for method, path in (
        ("GET", f"{BASE}/{segment(text)}"),
        ("DELETE", f"{BASE}/{segment(text)}"),
        ("POST", f"{BASE}/{segment(text)}/rotate-secret"),
        ("GET", f"{BASE}/{segment(text)}/deliveries"),
        ("POST", f"{BASE}/1/deliveries/{segment(text)}/retry"),
    ):
        assert endpoints(method, path).status in (200, 202, 204, 404, 409), (method, path)
