"""Benchmark of the users: each users operation through the workspace function, and what an
assignment adds to a lead write (the user's ConditionCheck and one count shard per user moved, in the lead's own
transaction). Runs first in a tier: it creates the tenant's users 1..25, whom the population's leads name."""

from __future__ import annotations

from typing import Any

from leadgate_dev import harness
from leadgate_dev.bench.ops import UNLIMITED, Measurement, Request, invoke, measure
from leadgate_dev.bench.population import ASSIGNEES, LoadedTenant

SCOPES = ("read:users", "write:users", "delete:users", "read:leads", "write:leads", "delete:leads")


def user_operations(tenant: LoadedTenant, *, repeats: int) -> list[Measurement]:
    context = harness.authorizer_context(tenant.tenant_id, SCOPES, "bench-users", rate_policies=UNLIMITED)

    def workspace(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Request:
        return Request("workspace", method, path, body=body, query=query, authorizer=context)

    def leads(method: str, path: str, body: Any = None) -> Request:
        return Request("leads", method, path, body=body, authorizer=context)

    def user_body(n: int) -> dict[str, Any]:
        return {"name": f"担当 {n}", "email": f"user{n}@example.co.jp"}

    results = [
        measure(
            "create a user",
            lambda i: workspace("POST", "/api/v1/users", user_body(i + 1)),
            repeats=1,
            expected_status=201,
        )
    ]
    for n in range(2, max(ASSIGNEES) + 1):
        invoke(workspace("POST", "/api/v1/users", user_body(n)))
    # Two users no bulk-loaded lead names (those leads' assignments are not counted): `leaving` to reassign from,
    # `idle` to deactivate and delete.
    idle, leaving = max(ASSIGNEES) + 1, max(ASSIGNEES) + 2
    for n in (idle, leaving):
        invoke(workspace("POST", "/api/v1/users", user_body(n)))
    results += [
        measure("get a user (with open_lead_count)", lambda i: workspace("GET", "/api/v1/users/1"), repeats=repeats),
        measure(
            f"list users ({leaving}, per_page=100)",
            lambda i: workspace("GET", "/api/v1/users", query={"per_page": "100"}),
            repeats=repeats,
        ),
        measure(
            "deactivate / reactivate a user (PATCH active)",
            lambda i: workspace("PATCH", f"/api/v1/users/{idle}", {"active": i % 2 == 1}),
            repeats=repeats,
        ),
    ]
    plain = [invoke(leads("POST", "/api/v1/leads", {"first_name": f"Plain {i}"})) for i in range(repeats)]
    results += [
        measure(
            "lead create, unassigned",
            lambda i: leads("POST", "/api/v1/leads", {"first_name": f"Bench {i}"}),
            repeats=repeats,
            expected_status=201,
        ),
        measure(
            "lead create, assigned_user_id (+ check, + count)",
            lambda i: leads("POST", "/api/v1/leads", {"first_name": f"Bench {i}", "assigned_user_id": 2}),
            repeats=repeats,
            expected_status=201,
        ),
        measure(
            "lead PATCH, assign (unassigned -> user)",
            lambda i: leads("PATCH", f"/api/v1/leads/{plain[i].body['data']['id']}", {"assigned_user_id": 3}),
            repeats=repeats,
        ),
        measure(
            "lead PATCH, reassign (user -> user: check, -1, +1)",
            lambda i: leads("PATCH", f"/api/v1/leads/{plain[i].body['data']['id']}", {"assigned_user_id": leaving}),
            repeats=repeats,
        ),
        measure(
            "lead PATCH, not assignment (nothing added)",
            lambda i: leads("PATCH", f"/api/v1/leads/{plain[i].body['data']['id']}", {"notes": f"round {i}"}),
            repeats=repeats,
        ),
        measure(
            f"delete a user with {repeats} lead(s), reassign_to (inline)",
            lambda i: workspace("DELETE", f"/api/v1/users/{leaving}", query={"reassign_to": "5"}),
            repeats=1,
        ),
        measure(
            "delete a user without leads",
            lambda i: workspace("DELETE", f"/api/v1/users/{idle}"),
            repeats=1,
            expected_status=204,
        ),
    ]
    return results
