"""Webhook endpoints through their handler with API Gateway events: creation answers the secret once (and only
then), reads never show it, ETags, SSRF refusals (422 naming `url`), rotation, tenant isolation."""

from __future__ import annotations

import base64

import boto3
import pytest

from leadgate.aws import reset_clients
from leadgate_dev.harness import authorizer_context
from leadgate_dev.harness.events import rest_event

SCOPES = ("read:webhooks", "write:webhooks")


@pytest.fixture
def api(aws, invoke, monkeypatch):
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "true")
    reset_clients()

    def _call(method, path, body=None, *, tenant="acme", query=None, headers=None, scopes=SCOPES):
        event = rest_event(
            method,
            path,
            body=body,
            query=query,
            headers={"Host": "api.example.com", **(headers or {})},
            authorizer=authorizer_context(tenant=tenant, scopes=scopes),
        )
        return invoke("webhook_endpoints", event)

    return _call


def _create(api, url="http://127.0.0.1:9/hook", **fields):
    status, headers, body = api("POST", "/api/v1/webhook-endpoints", {"url": url, **fields})
    assert status == 201, body
    return headers, body["data"]


def test_create_answers_the_secret_once_and_reads_never_show_it(api):
    headers, created = _create(api, event_types=["lead.*", "form.submitted"], description="CRM")
    assert created["secret"].startswith("whsec_")
    assert len(base64.b64decode(created["secret"].removeprefix("whsec_"))) == 32
    assert headers["Location"] == f"https://api.example.com/api/v1/webhook-endpoints/{created['id']}"
    assert (created["active"], created["disabled_reason"], created["event_types"]) == (
        True,
        None,
        ["lead.*", "form.submitted"],
    )
    status, headers, body = api("GET", f"/api/v1/webhook-endpoints/{created['id']}")
    assert status == 200 and "secret" not in body["data"] and "secret_arn" not in body["data"]
    assert headers["ETag"] == '"1"'
    status, _, listed = api("GET", "/api/v1/webhook-endpoints")
    assert status == 200 and [record["id"] for record in listed["data"]] == [created["id"]]
    assert "secret" not in str(listed)
    stored = boto3.client("secretsmanager", region_name="us-east-1").get_secret_value(
        SecretId=f"leadgate/dev/webhook-endpoints/acme/{created['id']}"
    )
    assert created["secret"] in stored["SecretString"]


def test_patch_with_etags_and_delete(api):
    _, created = _create(api)
    path = f"/api/v1/webhook-endpoints/{created['id']}"
    status, headers, body = api("PATCH", path, {"active": False, "description": "paused"}, headers={"If-Match": '"1"'})
    assert status == 200 and body["data"]["active"] is False and headers["ETag"] == '"2"'
    status, _, body = api("PATCH", path, {"active": True}, headers={"If-Match": '"1"'})
    assert status == 412 and body["code"] == "PRECONDITION_FAILED"
    status, _, body = api("PATCH", path, {"event_types": ["lead.*", "not a type"]})
    assert status == 422 and "event_types.1" in body["errors"]
    status, _, body = api("PATCH", path, {"event_types": None, "url": None})
    assert status == 422 and set(body["errors"]) == {"event_types", "url"}
    status, _, body = api("PATCH", path, {"rate_limit": 5})
    assert status == 200 and body["data"]["rate_limit"] == 5
    status, headers, body = api("PATCH", path, {"rate_limit": None})
    assert status == 200 and body["data"]["rate_limit"] is None and headers["ETag"] == '"4"'

    assert api("DELETE", path, headers={"If-Match": '"4"'})[0] == 204
    assert api("GET", path)[0] == 404


@pytest.mark.parametrize(
    "url",
    ["https://10.0.0.5/hook", "https://169.254.169.254/latest", "ftp://example.com/x", "https://[::ffff:192.168.0.1]/"],
)
def test_unsafe_urls_are_refused_with_422_naming_url(api, url):
    status, _, body = api("POST", "/api/v1/webhook-endpoints", {"url": url})
    assert status == 422 and body["code"] == "VALIDATION_FAILED" and "url" in body["errors"]


def test_loopback_is_refused_unless_the_local_stack_allows_it(api, monkeypatch):
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "false")
    reset_clients()
    status, _, body = api("POST", "/api/v1/webhook-endpoints", {"url": "https://127.0.0.1/hook"})
    assert status == 422 and "url" in body["errors"]
    _, created = _create(api, url="https://93.184.215.14/hook")
    status, _, body = api("PATCH", f"/api/v1/webhook-endpoints/{created['id']}", {"url": "https://localhost/hook"})
    assert status == 422 and "url" in body["errors"]


def test_rotation_answers_a_new_secret_and_keeps_the_old_one_signing(api):
    _, created = _create(api)
    status, _, body = api("POST", f"/api/v1/webhook-endpoints/{created['id']}/rotate-secret")
    assert status == 200, body
    assert body["data"]["secret"].startswith("whsec_") and body["data"]["secret"] != created["secret"]
    from leadgate.outbound import endpoints, secrets

    arn = endpoints.get("acme", created["id"]).secret_arn
    assert secrets.signing_secrets(arn) == [body["data"]["secret"], created["secret"]]


def test_another_tenants_endpoint_is_not_found_and_scopes_are_declared(api):
    _, created = _create(api)
    path = f"/api/v1/webhook-endpoints/{created['id']}"
    for method, suffix in (
        ("GET", ""),
        ("PATCH", ""),
        ("DELETE", ""),
        ("POST", "/rotate-secret"),
        ("GET", "/deliveries"),
    ):
        body = {} if method == "PATCH" else None
        assert api(method, path + suffix, body, tenant="globex")[0] == 404, (method, suffix)
    assert api("GET", "/api/v1/webhook-endpoints/abc")[0] == 404
