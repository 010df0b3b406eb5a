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


# ------------------------------------------------------------------ /api/v1/integrations

PROVIDERS = st.sampled_from(["hubspot", "intercom", "chatdealer", "standard"])
INTEGRATION_BODIES = st.fixed_dictionaries(
    {"provider": st.one_of(PROVIDERS, s.plain)},
    optional={
        "settings": s.json_objects,
        "secrets": st.one_of(s.json_objects, st.none()),
        "base_url": st.sampled_from(["https://10.0.0.1", "http://169.254.169.254/x", "ftp://x", "https://[::1]"]),
        "sync_every": st.one_of(st.sampled_from(["15m", "1h", "0m", "15s"]), s.plain),
    },
)
WRITTEN = (400, 404, 409, 412, 413, 415, 422)


@pytest.fixture
def integrations(aws, monkeypatch):
    """The suite's tenant with a Standard Webhooks integration, on a stack with a sync group and target."""
    import boto3

    from leadgate import aws as leadgate_aws

    monkeypatch.setenv("SYNC_SCHEDULE_GROUP", "property-sync")
    monkeypatch.setenv("SYNC_FUNCTION_ARN", "arn:aws:lambda:us-east-1:123456789012:function:property-sync")
    monkeypatch.setenv("SYNC_SCHEDULER_ROLE_ARN", "arn:aws:iam::123456789012:role/property-sync")
    monkeypatch.setenv("SYNC_DEAD_LETTER_ARN", "arn:aws:sqs:us-east-1:123456789012:property-dlq")
    leadgate_aws.reset_clients()
    boto3.client("scheduler").create_schedule_group(Name="property-sync")
    return create("standard")


def integration(method: str, path: str, **kwargs):
    return request("connections", method, path, **kwargs)


@suite
@given(document=st.one_of(INTEGRATION_BODIES, s.json_objects))
def test_any_integration_body_is_created_or_refused_in_the_envelope(integrations, document):
    answer = integration("POST", "/api/v1/integrations", body=json.dumps(document))
    assert answer.status in (201, *WRITTEN), answer.body
    if answer.status == 201:
        assert "secrets" not in answer.body["data"]


@suite
@given(body=s.raw_bodies, media_type=s.media_types)
def test_any_raw_integration_body_is_refused_in_the_envelope(integrations, body, media_type):
    headers = {"Content-Type": media_type} if media_type else {}
    path = f"/api/v1/integrations/{integrations['connection_id']}"
    for method, target in (("POST", "/api/v1/integrations"), ("PUT", path), ("PATCH", path)):
        answer = integration(method, target, body=body, headers=headers)
        assert answer.status in (200, 201, *WRITTEN), (method, answer.body)


@suite
@given(document=st.one_of(INTEGRATION_BODIES, s.json_objects), if_match=st.one_of(st.none(), s.plain))
def test_any_change_to_an_integration_is_answered_in_the_envelope(integrations, document, if_match):
    path = f"/api/v1/integrations/{integrations['connection_id']}"
    headers = {"Content-Type": "application/json", **({"If-Match": if_match} if if_match else {})}
    for method in ("PUT", "PATCH"):
        answer = integration(method, path, body=json.dumps(document), headers=headers)
        assert answer.status in (200, *WRITTEN), (method, answer.body)


@suite
@given(text=st.one_of(s.texts, s.plain).filter(bool), query=s.queries)
def test_any_integration_id_is_a_404_on_every_route(integrations, text, query):
    path = f"/api/v1/integrations/{segment(text)}"
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/test"), ("POST", "/sync")):
        assert integration(method, path + suffix).status == 404, (method, suffix)
    assert integration("GET", path + "/runs", query=query).status in (400, 404, 422)
    assert integration("GET", "/api/v1/integrations", query=query).status in (200, 400, 422)
    assert integration("GET", "/api/v1/integrations/types", query=query).status == 200
