"""Headers every answer carries: `Cache-Control: no-store` and `X-Content-Type-Options: nosniff`
on every function's answers, errors included; links and `Location` from the API's public base URL, never from
the request's `Host`."""

from __future__ import annotations

import pytest

from leadgate.aws import reset_clients
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event
from tests.support.samples import sample_event

SECURITY = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}


def lower(headers: dict) -> dict:
    return {name.lower(): value for name, value in headers.items()}


@pytest.mark.parametrize(
    ("function", "event"),
    [
        ("health", sample_event("health", "ok")),
        ("usage", sample_event("usage", "ok")),
        ("leads", sample_event("leads", "list")),
        ("leads", sample_event("leads", "create")),
        ("leads", rest_event("GET", "/api/v1/leads/01ARZ3NDEKTSV4RRFFQ69G5FAV", authorizer=caller_context())),
        ("leads", rest_event("GET", "/api/v1/nowhere", authorizer=caller_context())),
        ("leads", rest_event("POST", "/api/v1/leads", body="x", authorizer=caller_context())),
        ("inbound", sample_event("inbound", "leadhub")),
        ("inbound", sample_event("inbound", "hotlead")),
        ("token", sample_event("token", "basic")),
    ],
    ids=lambda value: value if isinstance(value, str) else f"{value['httpMethod']} {value['path']}",
)
def test_every_answer_is_not_stored_and_not_sniffed(aws, invoke, function, event):
    status, headers, _ = invoke(function, event)

    assert status < 500
    for name, value in SECURITY.items():
        assert lower(headers).get(name.lower()) == value, (status, headers)


def test_links_and_location_ignore_the_host_header(aws, invoke):
    create = rest_event(
        "POST",
        "/api/v1/leads",
        body={"first_name": "Host"},
        headers={"Host": "evil.example", "X-Forwarded-Proto": "http"},
        authorizer=caller_context(),
        stage="prod",
    )
    create["requestContext"]["domainName"] = "abc123.execute-api.us-east-1.amazonaws.com"
    status, headers, created = invoke("leads", create)
    assert status == 201, created
    assert headers["Location"] == (
        f"https://abc123.execute-api.us-east-1.amazonaws.com/prod/api/v1/leads/{created['data']['id']}"
    )

    listing = rest_event("GET", "/api/v1/leads", headers={"Host": "evil.example"}, authorizer=caller_context())
    listing["requestContext"]["domainName"] = "api.example.com"  # a custom domain: no stage in the path
    _, _, listed = invoke("leads", listing)
    assert listed["links"]["first"].startswith("https://api.example.com/api/v1/leads")
    assert "evil.example" not in str(listed["links"])


def test_the_public_base_url_setting_wins(aws, invoke, monkeypatch):
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://leads.example.jp/")
    reset_clients()
    event = rest_event(
        "POST",
        "/api/v1/leads",
        body={"first_name": "Base"},
        headers={"Host": "evil.example"},
        authorizer=caller_context(),
    )

    status, headers, created = invoke("leads", event)

    assert status == 201
    assert headers["Location"] == f"https://leads.example.jp/api/v1/leads/{created['data']['id']}"
