"""Text defects a probe found, over HTTP on the local stack (DynamoDB Local): lone surrogates are refused at the
edge, and a lead stored with them before the rule no longer takes its tenant's reads down."""

import random
from urllib.parse import quote

import boto3
import pytest
import requests

from leadgate.leads import keys

pytestmark = pytest.mark.e2e

JSON = {"Content-Type": "application/json"}


@pytest.fixture
def tenant(local_stack):
    slug = f"text{random.randrange(10**6, 10**7)}"
    client = local_stack.admin_json("clients", "create", "--tenant", slug, "--scopes", "write:leads", "read:leads")
    return {"slug": slug, "headers": {"Authorization": f"Bearer {local_stack.token(client)}", **JSON}}


def post(local_stack, tenant, path: str, raw: str) -> requests.Response:
    return requests.post(local_stack.url(path), data=raw.encode("ascii"), headers=tenant["headers"], timeout=10)


def test_lone_surrogate_escapes_are_refused_with_the_field_named(local_stack, tenant):
    tags = post(local_stack, tenant, "/api/v1/leads", '{"first_name": "A", "tags": ["\\ud800"]}')
    custom = post(local_stack, tenant, "/api/v1/leads", '{"first_name": "A", "custom_fields": {"k": "\\udfff"}}')
    inquiry = post(
        local_stack,
        tenant,
        "/public/api/leads",
        '{"created_at": "2026-11-30T09:00:00Z", "media_domain": "suumo.jp", "unit_id": "' + tenant["slug"] + '",'
        ' "profile": {"name": "A", "email": "a@example.jp"}, "inquiry": {"m": ["ok", "\\ud83d"]}}',
    )
    dots = post(local_stack, tenant, "/api/v1/leads", '{"first_name": "A", "tags": [".."]}')

    assert [reply.status_code for reply in (tags, custom, inquiry, dots)] == [422] * 4
    assert list(tags.json()["errors"]) == ["tags.0"]
    assert list(custom.json()["errors"]) == ["custom_fields.k"]
    assert list(inquiry.json()["errors"]) == ["inquiry.m.1"]
    assert list(dots.json()["errors"]) == ["tags.0"]


def test_a_lead_stored_with_a_lone_surrogate_is_served_and_the_tenant_keeps_working(local_stack, tenant):
    body = '{"first_name": "A", "email": "a@example.jp", "tags": ["vip"]}'
    created = post(local_stack, tenant, "/api/v1/leads", body)
    assert created.status_code == 201, created.text
    lead_id = created.json()["data"]["id"]
    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=local_stack.description["endpoints"]["dynamodb"],
        region_name=local_stack.description["region"],
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    dynamodb.update_item(  # what the API let through before the rule
        TableName=local_stack.description["tables"]["LEADS_TABLE"],
        Key=keys.key(tenant["slug"], keys.lead_sk(lead_id)),
        UpdateExpression="SET tags = :tags, notes = :notes",
        ExpressionAttributeValues={":tags": {"L": [{"S": "vip"}, {"S": "\ud800"}]}, ":notes": {"S": "x\udfffy"}},
    )

    def get(path: str, **params: str) -> requests.Response:
        return requests.get(local_stack.url(path), params=params, headers=tenant["headers"], timeout=10)

    lead = get(f"/api/v1/leads/{lead_id}")
    listed = get("/api/v1/leads")
    by_tag = get("/api/v1/leads", tag="vip")
    found = get("/api/v1/leads/lookup", email="a@example.jp")
    inquiries = get(f"/api/v1/leads/{lead_id}/inquiries")

    assert [reply.status_code for reply in (lead, listed, by_tag, found, inquiries)] == [200] * 5
    assert lead.json()["data"]["tags"] == ["vip", "\ufffd"]
    assert lead.json()["data"]["notes"] == "x\ufffdy"
    assert [item["id"] for item in listed.json()["data"]] == [lead_id]
    second = post(local_stack, tenant, "/api/v1/leads", '{"first_name": "B", "tags": ["vip"]}')
    assert second.status_code == 201
    assert get("/api/v1/leads", tag="vip", per_page="1").json()["meta"]["total"] == 2


@pytest.mark.parametrize("tag", ["हिंदी", "à̀"])
def test_a_tag_with_combining_marks_is_deleted_by_its_path(local_stack, tenant, tag):
    created = post(local_stack, tenant, "/api/v1/leads", '{"first_name": "A", "tags": ["vip"]}')
    lead_id = created.json()["data"]["id"]
    added = requests.post(
        local_stack.url(f"/api/v1/leads/{lead_id}/tags"), json={"tag": tag}, headers=tenant["headers"], timeout=10
    )
    stored = next(name for name in added.json()["data"]["tags"] if name != "vip")

    removed = requests.delete(
        local_stack.url(f"/api/v1/leads/{lead_id}/tags/{quote(stored, safe='')}"), headers=tenant["headers"], timeout=10
    )

    assert removed.status_code == 204, removed.text
    lead = requests.get(local_stack.url(f"/api/v1/leads/{lead_id}"), headers=tenant["headers"], timeout=10)
    assert lead.json()["data"]["tags"] == ["vip"]
