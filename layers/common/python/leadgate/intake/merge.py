"""How an intake that matched a lead changes it (docs/intake.md, "Merge policy").

- Intake (HOTLEAD, LeadHub inbound, batch) only fills: a field the lead has no value for (or its default)
  takes the received value; a field with another value keeps it, and the received value is recorded as
  `kept`. Nothing the client sent is lost: the inquiry keeps the payload as sent, and the merge record says
  which values did not reach the lead.
- Upsert updates (HubSpot's createOrUpdate): received values replace the lead's, and the previous values
  are recorded as `replaced`.
- Either way tags are added (never removed) and custom fields merged key by key under the same rule.
  Emails and phone numbers compare by their canonical form, so a respelling is not a change.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from leadgate import normalize
from leadgate.leads.fields import MAX_CUSTOM_FIELDS, MAX_TAGS
from leadgate.leads.requests import LeadData

_CANONICAL: dict[str, Callable[[Any], Any]] = {
    "email": normalize.canonical_email,
    "phone": normalize.canonical_phone,
}


@dataclass(frozen=True)
class Merge:
    """The lead after the merge, and what happened to each received value that was not already there."""

    data: LeadData
    overwrite: bool
    filled: tuple[str, ...] = ()  # empty fields that took the received value; "tags" when tags were added
    kept: Mapping[str, Any] = field(default_factory=dict)  # received, not applied: the lead's value stays
    replaced: Mapping[str, Any] = field(default_factory=dict)  # the lead's previous values (upsert)

    def record(self) -> dict[str, Any]:
        return {
            "policy": "update" if self.overwrite else "fill",
            "filled": list(self.filled),
            "kept": dict(self.kept),
            "replaced": dict(self.replaced),
        }


def merge(current: LeadData, values: Mapping[str, Any], *, overwrite: bool) -> Merge:
    """`current` with the received `values` applied: fill-only, or replacing when `overwrite`."""
    updates: dict[str, Any] = {}
    filled: list[str] = []
    kept: dict[str, Any] = {}
    replaced: dict[str, Any] = {}
    for name, received in values.items():
        if name in ("tags", "custom_fields"):
            continue
        existing = getattr(current, name)
        if _same(name, existing, received):
            continue
        if _empty(name, existing):
            updates[name] = received
            filled.append(name)
        elif overwrite:
            updates[name] = received
            replaced[name] = existing
        else:
            kept[name] = received
    if values.get("tags"):
        updates["tags"] = _merged_tags(current.tags, values["tags"], filled, kept)
    if values.get("custom_fields"):
        updates["custom_fields"] = _merged_custom_fields(
            current.custom_fields,
            values["custom_fields"],
            overwrite=overwrite,
            filled=filled,
            kept=kept,
            replaced=replaced,
        )
    return Merge(current.model_copy(update=updates), overwrite, tuple(filled), kept, replaced)


def _same(name: str, existing: Any, received: Any) -> bool:
    canonical = _CANONICAL.get(name)
    if canonical and existing is not None:
        return canonical(existing) == canonical(received)
    return existing == received


def _empty(name: str, value: Any) -> bool:
    return value is None or value == LeadData.model_fields[name].get_default(call_default_factory=True)


def _merged_tags(tags: list[str], received: list[str], filled: list[str], kept: dict[str, Any]) -> list[str]:
    new = [tag for tag in received if tag not in tags]
    room = max(0, MAX_TAGS - len(tags))
    if new[:room]:
        filled.append("tags")
    if new[room:]:
        kept["tags"] = new[room:]
    return [*tags, *new[:room]]


def _merged_custom_fields(
    fields: Mapping[str, Any],
    received: Mapping[str, Any],
    *,
    overwrite: bool,
    filled: list[str],
    kept: dict[str, Any],
    replaced: dict[str, Any],
) -> dict[str, Any]:
    merged = dict(fields)
    for key, value in received.items():
        label = f"custom_fields.{key}"
        if key not in merged:
            if len(merged) < MAX_CUSTOM_FIELDS:
                merged[key] = value
                filled.append(label)
            else:
                kept[label] = value
        elif merged[key] != value:
            if overwrite:
                replaced[label] = merged[key]
                merged[key] = value
            else:
                kept[label] = value
    return merged
