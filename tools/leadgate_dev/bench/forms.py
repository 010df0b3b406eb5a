"""Benchmark of forms: the calls and items of a submission, from a server (`POST /api/v1/forms/{id}/
submissions`) and from a browser (the public route: a plain form, JSON, a honeypot), for a new person and a
known one, and the list of a form's submissions."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from leadgate_dev import harness
from leadgate_dev.bench.ops import UNLIMITED, Measurement, Request, invoke, measure
from leadgate_dev.bench.population import LoadedTenant

SCOPES = ("read:forms", "write:forms", "delete:forms")
FORM = {
    "name": "ベンチ問い合わせ",
    "fields": [
        {"name": "your_name", "type": "text", "required": True, "maps_to": "display_name"},
        {"name": "email", "type": "email", "required": True, "maps_to": "email"},
        {"name": "message", "type": "textarea"},
    ],
    "allowed_origins": ["https://www.example.jp"],
    "redirect_url": "https://www.example.jp/thanks",
    "honeypot_field": "website",
    "target": {"tags": ["web-form"]},
}


def form_operations(tenant: LoadedTenant, *, repeats: int) -> list[Measurement]:
    context = harness.authorizer_context(tenant.tenant_id, SCOPES, "bench-forms", rate_policies=UNLIMITED)

    def forms(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> Request:
        return Request("forms", method, path, body=body, query=query, authorizer=context)

    def public(public_id: str, body: Any, i: int, *, plain: bool = False) -> Request:
        headers = {"Origin": "https://www.example.jp"}
        if plain:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            body = urlencode(body)
        path = f"/public/forms/{public_id}/submissions"
        # Each from its own address: the per-address limit is not what is measured.
        return Request("form_submissions", "POST", path, body=body, headers=headers, source_ip=f"198.51.100.{i % 250}")

    def person(i: int, kind: str) -> dict[str, str]:
        return {"your_name": f"フォーム {kind} {i}", "email": f"form-{kind}-{i}@example.jp", "message": "資料希望"}

    created = measure("create a form", lambda i: forms("POST", "/api/v1/forms", FORM), repeats=1, expected_status=201)
    form = invoke(forms("GET", "/api/v1/forms")).body["data"][-1]
    form_id, public_id = form["id"], form["public_id"]
    submit = f"/api/v1/forms/{form_id}/submissions"
    return [
        created,
        measure(
            "server submission, new person",
            lambda i: forms("POST", submit, person(i, "server")),
            repeats=repeats,
            expected_status=201,
        ),
        measure(
            "server submission, known person (another spelling)",
            lambda i: forms("POST", submit, {**person(i, "server"), "email": f"FORM-server-{i}@Example.JP"}),
            repeats=repeats,
            expected_status=201,
        ),
        measure(
            "public JSON submission, new person",
            lambda i: public(public_id, person(i, "json"), i),
            repeats=repeats,
            expected_status=201,
        ),
        measure(
            "public plain form (303), new person",
            lambda i: public(public_id, person(i, "plain"), i, plain=True),
            repeats=repeats,
            expected_status=303,
        ),
        measure(
            "public honeypot (nothing stored)",
            lambda i: public(public_id, {**person(i, "bot"), "website": "spam"}, i, plain=True),
            repeats=repeats,
            expected_status=303,
        ),
        measure(
            "list a form's submissions (per_page=25)",
            lambda i: forms("GET", submit, query={"per_page": "25"}),
            repeats=repeats,
        ),
    ]
