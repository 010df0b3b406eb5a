"""The automations routes, driven like the workspace routes (tests/property/test_workspace_routes.py): any JSON
document, bytes and media type, query and path segment; never a 5xx, every 4xx in the envelope, and what a
write stores reads back. Bodies are drawn from the definitions' shapes with wrong values mixed in; URLs are
address literals (no DNS lookups)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadgate.aws import reset_clients
from tests.support import strategies as s
from tests.support.gateway import json_text, request, segment
from tests.support.strategies import suite

BASE = "/api/v1/automations"
WRITES = [("POST", BASE), ("PUT", f"{BASE}/1"), ("PATCH", f"{BASE}/1")]
READS = [BASE, f"{BASE}/1", f"{BASE}/1/runs"]
WRITE_IDS = [f"{method} {path}" for method, path in WRITES]

ids = st.one_of(st.integers(-1, 3), s.scalars)
triggers = st.one_of(
    st.fixed_dictionaries({"type": st.just("lead.created")}),
    st.fixed_dictionaries(
        {"type": st.just("lead.updated"), "fields": st.lists(st.sampled_from(["status", "x.y", ""]))}
    ),
    st.fixed_dictionaries({"type": st.just("lead.stage_changed")}, optional={"from": ids, "to": ids}),
    st.fixed_dictionaries({"type": st.just("lead.tagged"), "tag": st.one_of(s.mostly_plain, s.scalars)}),
    st.fixed_dictionaries({"type": st.just("form.submitted"), "form_id": ids}),
    st.fixed_dictionaries({"type": st.sampled_from(["lead.inquiry_received", "lead.deleted", ""])}),
)
conditions = st.fixed_dictionaries(
    {},
    optional={
        "match": st.sampled_from(["all", "any", "none"]),
        "rules": st.lists(
            st.fixed_dictionaries(
                {
                    "field": st.sampled_from(["source", "lead_score", "custom_fields.a", "tags", "nope", ""]),
                    "operator": st.sampled_from(["equals", "not_equals", "in", "contains", "exists", "gt", "lt", "x"]),
                },
                optional={"value": st.one_of(s.scalars, st.lists(s.scalars, max_size=3))},
            ),
            max_size=3,
        ),
    },
)
actions = st.one_of(
    st.fixed_dictionaries({"type": st.just("assign"), "user_id": ids}),
    st.fixed_dictionaries({"type": st.just("assign_round_robin"), "user_ids": st.lists(ids, max_size=3)}),
    st.fixed_dictionaries(
        {"type": st.sampled_from(["add_tag", "remove_tag"]), "tag": st.one_of(s.mostly_plain, s.scalars)}
    ),
    st.fixed_dictionaries({"type": st.just("move_to_stage"), "stage_id": ids}),
    st.fixed_dictionaries(
        {
            "type": st.just("set_field"),
            "field": st.sampled_from(["status", "custom_fields.a", "id", ""]),
            "value": s.scalars,
        }
    ),
    st.fixed_dictionaries(
        {"type": st.just("send_webhook"), "url": st.sampled_from(["http://127.0.0.1:9/hook", "https://10.1.2.3/", "x"])}
    ),
    st.fixed_dictionaries({"type": st.just("wait"), "seconds": st.one_of(st.integers(-1, 2_600_000), s.scalars)}),
)
automation_bodies = st.fixed_dictionaries(
    {"name": s.mostly_plain, "trigger": triggers, "actions": st.lists(actions, max_size=3)},
    optional={
        "active": st.one_of(st.booleans(), s.scalars),
        "reenroll": st.one_of(st.booleans(), s.scalars),
        "conditions": conditions,
    },
)


def automations(method: str, path: str, **kwargs: Any):
    return request("automations", method, path, **kwargs)


@pytest.fixture
def automation(aws, monkeypatch):
    """Automation 1 of the tenant, so that the id routes reach the service."""
    monkeypatch.setenv("ALLOW_LOOPBACK_URLS", "true")
    reset_clients()
    body = {
        "name": "First",
        "trigger": {"type": "lead.created"},
        "actions": [{"type": "set_field", "field": "status", "value": "new"}],
    }
    assert automations("POST", BASE, body=json_text(body)).status == 201


def read_back() -> None:
    for path in READS:
        answer = automations("GET", path)
        assert answer.status in (200, 404), (path, answer.body)
        assert "secret_arn" not in str(answer.body), path


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(document=s.json_values)
def test_any_json_document_on_an_automation_write_is_answered_in_the_envelope(route, automation, document):
    automations(*route, body=json_text(document))
    read_back()


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(body=automation_bodies)
def test_what_an_automation_write_stores_reads_back(route, automation, body):
    answer = automations(*route, body=json_text(body))
    assert answer.status in (200, 201, 409, 412, 422), answer.body
    read_back()


@pytest.mark.parametrize("route", WRITES, ids=WRITE_IDS)
@suite
@given(body=st.one_of(s.raw_bodies, s.json_values.map(json_text)), media_type=s.media_types)
def test_any_bytes_with_any_content_type_on_an_automation_write(route, automation, body, media_type):
    automations(*route, body=body, headers={"Content-Type": media_type} if media_type else None)


@suite
@given(query=s.queries)
def test_any_automation_list_query_is_answered_in_the_envelope(automation, query):
    for path in (BASE, f"{BASE}/1/runs"):
        assert automations("GET", path, query=query).status in (200, 400, 422)


@suite
@given(
    text=st.one_of(s.texts, s.plain, st.sampled_from([".", "..", "%", "0", "01", "-1", "9007199254740993"])).filter(
        bool
    )
)
def test_any_id_in_an_automation_path_is_answered_in_the_envelope(automation, text):
    for method, path in (
        ("GET", f"{BASE}/{segment(text)}"),
        ("DELETE", f"{BASE}/{segment(text)}"),
        ("GET", f"{BASE}/{segment(text)}/runs"),
    ):
        assert automations(method, path).status in (200, 204, 404, 409), (method, path)
