"""Driving handlers as API Gateway does, and what every answer must be: never a 5xx, UTF-8 that parses
as JSON, every 4xx in the error envelope (OAuth's wire format at the token endpoint)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

from leadgate_dev.harness import Reply, call
from leadgate_dev.harness import authorizer_context as caller_context
from leadgate_dev.harness.events import rest_event

TENANT = "acme"
AUTHORIZER = caller_context(tenant=TENANT, client_id=f"client-{TENANT}")


def invoke(function: str, event: dict[str, Any]) -> Reply:
    """The handler's answer to `event`, its body taken as the Lambda runtime and API Gateway take it."""
    return call(function, event, budget_ms=30_000)


def send(function: str, event: dict[str, Any]) -> Reply:
    """`invoke`, and the answer is never a 5xx and every 4xx is in the envelope."""
    answer = invoke(function, event)
    assert answer.status < 500, (answer.status, answer.body, event["httpMethod"], event["path"])
    if answer.status >= 400:
        if function == "token":
            assert isinstance(answer.body, dict) and isinstance(answer.body.get("error"), str), answer.body
        else:
            assert_envelope(answer.body)
    return answer


def assert_envelope(body: Any) -> None:
    assert isinstance(body, dict), body
    assert body["status"] == "error", body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["code"], str) and body["code"], body
    assert isinstance(body["errors"], dict), body
    for field, messages in body["errors"].items():
        assert isinstance(field, str) and isinstance(messages, list), body
        assert messages and all(isinstance(message, str) for message in messages), body


def request(
    function: str,
    method: str,
    path: str,
    *,
    body: str | bytes | None = None,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    authorizer: dict[str, Any] | None = AUTHORIZER,
) -> Reply:
    return send(
        function,
        rest_event(
            method,
            path,
            query=query,
            headers={"Host": "api.example.com", **(headers or {})},
            body=body,
            authorizer=authorizer,
        ),
    )


def segment(text: str) -> str:
    """A path segment as API Gateway hands it to a REST proxy function: percent-encoded."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def json_text(value: Any) -> str:
    """A JSON body as a client sends it: lone surrogates as `\\udxxx` escapes, everything else as is."""
    return json.dumps(value, ensure_ascii=True)


# ------------------------------------------------------------------ reading back


def leads(method: str, path: str, **kwargs: Any) -> Reply:
    return request("leads", method, path, **kwargs)


def read_back(lead: dict[str, Any]) -> None:
    """A stored lead reads back through every read route: get, the list with each filter and sort that
    applies to it, lookup, inquiries, stage history."""
    lead_id = lead["id"]
    got = leads("GET", f"/api/v1/leads/{lead_id}")
    assert got.status == 200, got.body
    assert got.body["data"]["id"] == lead_id
    record = got.body["data"]
    filters: list[dict[str, str]] = [{}]
    for param, field in (
        ("source", "source"),
        ("status", "status"),
        ("pipeline_id", "pipeline_id"),
        ("stage_id", "pipeline_stage_id"),
        ("assigned_user_id", "assigned_user_id"),
    ):
        if record[field] is not None:
            filters.append({param: str(record[field])})
    filters += [{"tag": tag} for tag in record["tags"][:3]]
    filters += [{"starred": "true" if record["starred"] else "false"}]
    filters += [{"sort": sort} for sort in ("updated_at", "lead_score", "first_name", "last_name", "email")]
    if record["first_name"]:
        filters.append({"search": record["first_name"][:20]})
    for query in filters:
        listed = leads("GET", "/api/v1/leads", query={**query, "per_page": "100"})
        assert listed.status in (200, 422), (query, listed.body)  # 422: a search too short to search by
        filtered = set(query) & {"tag", "status", "source", "pipeline_id", "stage_id", "assigned_user_id"}
        if listed.status == 200 and filtered and listed.body["links"]["next"] is None:
            assert lead_id in [item["id"] for item in listed.body["data"]], (query, listed.body["meta"])
    for identity in ("email", "phone"):
        if record[identity]:
            found = leads("GET", "/api/v1/leads/lookup", query={identity: record[identity]})
            assert found.status == 200, found.body
            assert found.body["data"]["id"] == lead_id
    inquiries = leads("GET", f"/api/v1/leads/{lead_id}/inquiries")
    assert inquiries.status == 200, inquiries.body
    history = leads("GET", f"/api/v1/leads/{lead_id}/stage-history", query={"per_page": "100"})
    assert history.status == 200, history.body
    if history.body["data"]:  # the newest move is where the lead is (a lead written before stages has none)
        newest = history.body["data"][0]
        assert newest["to_stage_id"] == record["pipeline_stage_id"], (newest, record)
        assert newest["moved_at"] == record["stage_entered_at"] or record["stage_entered_at"] is None
