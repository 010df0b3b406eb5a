"""Users over HTTP on the local stack (API Gateway emulation, authorizer, scopes, the workspace function on the
template's tables): LeadHub's routes with integer ids, a lead assigned to a user, the counts, the 405s, the CLI."""

from __future__ import annotations

import pytest
import requests

pytestmark = pytest.mark.e2e


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_users_over_http(local_stack):
    scopes = ("read:users", "write:users", "delete:users", "read:leads", "write:leads")
    client = local_stack.admin_json("clients", "create", "--tenant", "users-http", "--scopes", *scopes)
    reader = local_stack.admin_json("clients", "create", "--tenant", "users-http", "--scopes", "read:users")
    outsider = local_stack.admin_json("clients", "create", "--tenant", "users-other", "--scopes", *scopes)
    headers = bearer(local_stack.token(client))
    url = local_stack.url

    created = requests.post(
        url("/api/v1/users"), json={"name": "担当 一郎", "email": "ichiro@example.jp"}, headers=headers
    )
    assert created.status_code == 201, created.text
    user = created.json()["data"]
    assert (user["id"], user["open_lead_count"], user["active"]) == (1, 0, True)
    assert created.headers["Location"] == url("/api/v1/users/1")

    lead = requests.post(url("/api/v1/leads"), json={"first_name": "Sarah", "assigned_user_id": 1}, headers=headers)
    assert lead.status_code == 201, lead.text
    refused = requests.post(url("/api/v1/leads"), json={"first_name": "X", "assigned_user_id": 5}, headers=headers)
    assert (refused.status_code, list(refused.json()["errors"])) == (422, ["assigned_user_id"])

    shown = requests.get(url("/api/v1/users/1"), headers=headers)
    assert (shown.status_code, shown.json()["data"]["open_lead_count"]) == (200, 1)
    listed = requests.get(url("/api/v1/users"), headers=bearer(local_stack.token(reader)))
    assert [item["id"] for item in listed.json()["data"]] == [1]
    assert listed.json()["meta"]["total"] == 1
    assert requests.get(url("/api/v1/users/1"), headers=bearer(local_stack.token(outsider))).status_code == 404

    patched = requests.patch(
        url("/api/v1/users/1"), json={"active": False}, headers={**headers, "If-Match": shown.headers["ETag"]}
    )
    assert (patched.status_code, patched.json()["data"]["active"]) == (200, False)
    unscoped = requests.delete(url("/api/v1/users/1"), headers=bearer(local_stack.token(reader)))
    assert unscoped.status_code == 403
    in_use = requests.delete(url("/api/v1/users/1"), headers=headers)
    assert (in_use.status_code, in_use.json()["code"], in_use.json()["lead_count"]) == (409, "RESOURCE_IN_USE", 1)
    not_allowed = requests.post(url("/api/v1/users/1"), json={}, headers=headers)
    assert (not_allowed.status_code, not_allowed.headers["Allow"]) == (405, "GET, PUT, PATCH, DELETE")

    assert [
        (item["id"], item["open_lead_count"])
        for item in local_stack.admin_json("users", "list", "--tenant", "users-http")
    ] == [(1, 1)]
