"""Whether an automation applies to an event: its trigger and its conditions. Pure: no I/O.

Conditions read the lead as the API shows it (an event's `data`). Enrollment (HubSpot's rule): a lead enrolls
when it goes from not matching to matching; `before` rebuilds the lead as it was before the event's change
(its `previous` values), so an automation with `reenroll`
enrolls a lead again only when that earlier state did not match.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadgate.automations.definitions import Condition, Conditions
from leadgate.events.model import Event

MISSING = object()


def trigger_fires(trigger: dict[str, Any], event: Event) -> bool:
    kind = trigger["type"]
    if event.type != kind:
        return False
    if kind == "lead.updated":
        return bool(set(trigger["fields"]) & {name.split(".", 1)[0] for name in event.changed_fields or ()})
    if kind == "lead.stage_changed":
        before, after = (event.previous or {}).get("pipeline_stage_id"), event.data.get("pipeline_stage_id")
        return trigger.get("from") in (None, before) and trigger.get("to") in (None, after)
    if kind == "lead.tagged":
        return event.tag == trigger["tag"]
    if kind == "form.submitted":
        return str(event.data.get("form_id")) == str(trigger["form_id"])
    return True


def holds(conditions: Conditions, lead: dict[str, Any]) -> bool:
    if not conditions.rules:
        return True
    results = (_holds(rule, lead) for rule in conditions.rules)
    return all(results) if conditions.match == "all" else any(results)


def matched_before(trigger: dict[str, Any], conditions: Conditions, event: Event, lead: dict[str, Any]) -> bool:
    """Whether the lead matched before the event's change. Every trigger but `lead.updated` is itself an edge
    (a new lead, a tag added, a stage entered, a form or inquiry received): the lead did not match before it.
    A watched field's change matched before when the conditions held on the previous values."""
    if trigger["type"] != "lead.updated":
        return False
    return holds(conditions, {**lead, **(event.previous or {})})


def _value(lead: dict[str, Any], path: str) -> Any:
    value: Any = lead
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return MISSING
        value = value[part]
    return value


def _holds(rule: Condition, lead: dict[str, Any]) -> bool:
    value = _value(lead, rule.field)
    present = value is not MISSING and value not in (None, "", [], {})
    if rule.operator == "exists":
        return present == (rule.value is not False)
    if not present:
        return rule.operator == "not_equals"
    return _OPERATORS[rule.operator](value, rule.value)


def _contains(value: Any, wanted: Any) -> bool:
    if isinstance(value, list):
        return any(_same(entry, wanted) for entry in value)
    return str(wanted).casefold() in str(value).casefold()


def _same(value: Any, wanted: Any) -> bool:
    if isinstance(value, list):
        return any(_same(entry, wanted) for entry in value)
    if isinstance(value, str) and isinstance(wanted, str):
        return value.casefold() == wanted.casefold()
    return value == wanted and isinstance(value, bool) == isinstance(wanted, bool)


def _compare(value: Any, wanted: Any, operator: str) -> bool:
    """gt/lt: numbers with numbers, ISO dates with ISO dates; anything else does not hold."""
    pair: tuple[Any, Any]
    if isinstance(value, int | float) and not isinstance(value, bool) and isinstance(wanted, int | float):
        pair = (value, wanted)
    else:
        try:
            pair = (_instant(value), _instant(wanted))
        except (TypeError, ValueError):
            return False
    return pair[0] > pair[1] if operator == "gt" else pair[0] < pair[1]


def _instant(text: Any) -> datetime:
    if not isinstance(text, str):
        raise TypeError(text)
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_OPERATORS = {
    "equals": _same,
    "not_equals": lambda value, wanted: not _same(value, wanted),
    "in": lambda value, wanted: any(_same(value, one) for one in wanted),
    "contains": _contains,
    "gt": lambda value, wanted: _compare(value, wanted, "gt"),
    "lt": lambda value, wanted: _compare(value, wanted, "lt"),
}
