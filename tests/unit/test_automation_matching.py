"""Triggers, conditions and the enrollment edge (leadgate.automations.matching): pure, on `Event`s."""

from __future__ import annotations

import pytest

from leadgate.automations.definitions import Conditions
from leadgate.automations.matching import holds, matched_before, trigger_fires
from leadgate.events.model import Event

LEAD = {
    "id": "L1",
    "source": "Partner",
    "lead_score": 70,
    "tags": ["vip", "hot"],
    "custom_fields": {"budget": "big"},
    "consents": {"marketing": {"status": "granted"}},
    "created_at": "2026-03-01T00:00:00.000Z",
    "company": None,
}


def event(kind: str, **fields) -> Event:
    return Event(
        id="evt_1",
        type=kind,
        occurred_at="2026-03-01T00:00:00.000Z",
        tenant="acme",
        actor="client:c",
        lead_id="L1",
        **{"data": LEAD, **fields},
    )


def rules(*given, match="all") -> Conditions:
    return Conditions.model_validate({"match": match, "rules": list(given)})


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ({"field": "source", "operator": "equals", "value": "partner"}, True),
        ({"field": "source", "operator": "not_equals", "value": "partner"}, False),
        ({"field": "source", "operator": "in", "value": ["web", "PARTNER"]}, True),
        ({"field": "tags", "operator": "contains", "value": "vip"}, True),
        ({"field": "tags", "operator": "equals", "value": "cold"}, False),
        ({"field": "custom_fields.budget", "operator": "contains", "value": "bi"}, True),
        ({"field": "consents.marketing.status", "operator": "equals", "value": "granted"}, True),
        ({"field": "company", "operator": "exists"}, False),
        ({"field": "company", "operator": "exists", "value": False}, True),
        ({"field": "company", "operator": "not_equals", "value": "x"}, True),
        ({"field": "lead_score", "operator": "gt", "value": 50}, True),
        ({"field": "lead_score", "operator": "lt", "value": 50}, False),
        ({"field": "lead_score", "operator": "gt", "value": "high"}, False),
        ({"field": "created_at", "operator": "lt", "value": "2026-04-01T00:00:00+09:00"}, True),
    ],
)
def test_each_operator(rule, expected):
    assert holds(rules(rule), LEAD) is expected


def test_all_and_any():
    yes, no = {"field": "source", "operator": "exists"}, {"field": "company", "operator": "exists"}
    assert holds(rules(yes, no), LEAD) is False and holds(rules(yes, no, match="any"), LEAD) is True
    assert holds(rules(), LEAD) is True


def test_triggers():
    assert trigger_fires(
        {"type": "lead.updated", "fields": ["status"]}, event("lead.updated", changed_fields=["status"])
    )
    assert not trigger_fires(
        {"type": "lead.updated", "fields": ["status"]}, event("lead.updated", changed_fields=["notes"])
    )
    moved = event("lead.stage_changed", previous={"pipeline_stage_id": 1}, data={**LEAD, "pipeline_stage_id": 2})
    assert trigger_fires({"type": "lead.stage_changed", "from": 1, "to": 2}, moved)
    assert not trigger_fires({"type": "lead.stage_changed", "to": 3}, moved)
    assert trigger_fires({"type": "lead.tagged", "tag": "vip"}, event("lead.tagged", tag="vip"))
    assert not trigger_fires({"type": "lead.tagged", "tag": "vip"}, event("lead.untagged", tag="vip"))
    assert trigger_fires({"type": "form.submitted", "form_id": 3}, event("form.submitted", data={"form_id": "3"}))


def test_a_watched_change_enrolls_again_only_from_not_matching():
    high = rules({"field": "lead_score", "operator": "gt", "value": 50})
    trigger = {"type": "lead.updated", "fields": ["lead_score"]}
    rose = event("lead.updated", changed_fields=["lead_score"], previous={"lead_score": 10})
    stayed = event("lead.updated", changed_fields=["lead_score"], previous={"lead_score": 60})
    assert matched_before(trigger, high, rose, LEAD) is False
    assert matched_before(trigger, high, stayed, LEAD) is True
    assert matched_before({"type": "lead.tagged", "tag": "vip"}, high, event("lead.tagged", tag="vip"), LEAD) is False
