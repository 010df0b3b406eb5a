"""Events from one change of the leads table: a stream record's old and new images -> the events it means.

Pure: no I/O, no clock. The images are DynamoDB attribute values as the stream carries them (NEW_AND_OLD_IMAGES).
Only lead items (`LEAD#`) and inquiry items (`INQ#`) mean events; identities, tags, search tokens and counters
do not. `data` is the lead as the API shows it (`StoredLead.record()`), thin (`id` + `url`) over 20 KB.
Ids are stable: the same change (tenant, lead, the lead's version, type, qualifier) is the same id however
often its record is delivered. docs/events.md lists the types and their semantics.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from leadgate.connections import registry
from leadgate.events import actor
from leadgate.events.actor import SYSTEM
from leadgate.events.model import Event
from leadgate.leads import items, keys
from leadgate.sync import keys as sync_keys

MAX_DATA_BYTES = 20 * 1024
# What a lead's record shows that no write sets directly: derived from other fields, or bookkeeping.
NOT_CHANGES = frozenset(
    {"id", "created_at", "updated_at", "display_name", "email_normalized", "phone_e164", "inquiry_count"}
)
STAGE_FIELDS = ("pipeline_id", "pipeline_stage_id")

Image = Mapping[str, Any]


class UnreadableImage(Exception):
    """A lead or inquiry item of the stream that does not map to a record: reported, retried, then sent to the
    stream's failure destination."""


def event_id(tenant: str, subject: str, sequence: int, event_type: str, qualifier: str = "") -> str:
    """`subject`: the lead (or the sync run, the connection) the event is about."""
    digest = hashlib.sha256(f"{tenant}|{subject}|{sequence}|{event_type}|{qualifier}".encode()).digest()
    return "evt_" + base64.b32encode(digest).decode().rstrip("=").lower()[:26]


def lead_url(base_url: str, lead_id: str) -> str:
    return f"{base_url}/api/v1/leads/{lead_id}"


def derive(old: Image | None, new: Image | None, *, recorded_at: str, base_url: str = "") -> list[Event]:
    """The events of one stream record (the leads, sync or connections table). `recorded_at` (the record's time,
    ISO) dates what the images do not (a REMOVE, a connection's sync stopped)."""
    image = new or old
    if not image:
        return []
    sort_key = _string(image, "SK")
    if sort_key.startswith(keys.LEAD):
        return _lead_events(old, new, recorded_at=recorded_at, base_url=base_url)
    if sort_key.startswith(keys.INQUIRY) and new and not old:
        return _inquiry_events(new)
    if _string(image, "sk").startswith(sync_keys.RUN_PREFIX) and new:
        return _run_events(old, new)
    if "connection_id" in image and "provider" in image and "pk" not in image and old and new:
        return _connection_events(old, new, recorded_at)
    return []


def _string(image: Image, name: str) -> str:
    return str((image.get(name) or {}).get("S", ""))


def _number(image: Image, name: str, default: int = 0) -> int:
    value = (image.get(name) or {}).get("N")
    return int(value) if value is not None else default


def _tenant(image: Image) -> str:
    return _string(image, "PK").removeprefix("T#")


def _record(image: Image, lead_id: str) -> dict[str, Any]:
    lead = items.read_lead(image, lead_id)
    if lead is None:
        raise UnreadableImage(lead_id)
    return lead.record()


def _sized(record: dict[str, Any], base_url: str) -> dict[str, Any]:
    if len(json.dumps(record, ensure_ascii=False, default=str).encode()) <= MAX_DATA_BYTES:
        return record
    return {"id": record["id"], "url": lead_url(base_url, record["id"])}


def _lead_events(old: Image | None, new: Image | None, *, recorded_at: str, base_url: str) -> list[Event]:
    image = new or old
    assert image is not None
    tenant, lead_id = _tenant(image), keys.lead_id_of(_string(image, "SK"))

    def event(kind: str, sequence: int, data: dict[str, Any], *, qualifier: str = "", **fields: Any) -> Event:
        stamp = (
            {"occurred_at": recorded_at, "actor": SYSTEM, "depth": 0}  # a REMOVE does not say who deleted
            if new is None
            else {
                "occurred_at": _string(new, "erased_at") or _string(new, "updated_at"),
                "actor": _string(new, "changed_by") or SYSTEM,
                "depth": _number(new, "change_depth"),
            }
        )
        return Event(
            id=event_id(tenant, lead_id, sequence, kind, qualifier),
            type=kind,
            tenant=tenant,
            lead_id=lead_id,
            sequence=sequence,
            data=data,
            **stamp,
            **fields,
        )

    if new is None:
        assert old is not None
        data = {"id": lead_id} if "erased_at" in old else _sized(_record(old, lead_id), base_url)
        return [event("lead.deleted", _number(old, "version") + 1, data)]
    version = _number(new, "version")
    if "erased_at" in new:  # erasure overwrote the lead with a tombstone: nothing of the lead is repeated
        return [] if old is not None and "erased_at" in old else [event("lead.erased", version, {"id": lead_id})]
    after = _record(new, lead_id)
    data = _sized(after, base_url)
    if old is None:
        return [event("lead.created", version, data)]
    if _number(old, "version") == version:
        return []
    before = _record(old, lead_id)
    changed = sorted(name for name in after if name not in NOT_CHANGES and after[name] != before.get(name))
    if not changed:
        return []

    def change(kind: str, names: list[str]) -> Event:
        return event(kind, version, data, changed_fields=names, previous={name: before.get(name) for name in names})

    events = [change("lead.updated", changed)]
    stage_fields = [name for name in STAGE_FIELDS if name in changed]
    if stage_fields:
        events.append(change("lead.stage_changed", stage_fields))
    if "assigned_user_id" in changed:
        events.append(change("lead.assigned", ["assigned_user_id"]))
    old_tags, new_tags = before.get("tags") or [], after.get("tags") or []
    events += [event("lead.tagged", version, data, qualifier=tag, tag=tag) for tag in new_tags if tag not in old_tags]
    events += [event("lead.untagged", version, data, qualifier=tag, tag=tag) for tag in old_tags if tag not in new_tags]
    return events


def _inquiry_events(new: Image) -> list[Event]:
    """A new inquiry on a known lead (`lead.inquiry_received`: not the one the lead was created with), and any
    inquiry a form sent (`form.submitted`). `data` is the inquiry as `GET /api/v1/leads/{id}/inquiries` shows it."""
    lead_id, inquiry_id = _string(new, "lead_id"), _string(new, "id")
    inquiry = items.read_inquiry(new, lead_id)
    if inquiry is None:
        raise UnreadableImage(lead_id)
    tenant, version = _tenant(new), _number(new, "lead_version", 1)
    kinds = (["lead.inquiry_received"] if version > 1 else []) + (["form.submitted"] if "form_id" in new else [])
    data = inquiry.record() | ({"form_id": _string(new, "form_id")} if "form_id" in new else {})
    return [
        Event(
            id=event_id(tenant, lead_id, version, kind, inquiry_id),
            type=kind,
            occurred_at=inquiry.received_at,
            tenant=tenant,
            actor=_string(new, "changed_by") or SYSTEM,
            depth=_number(new, "change_depth"),
            lead_id=lead_id,
            sequence=version,
            data=data,
        )
        for kind in kinds
    ]


def _run_events(old: Image | None, new: Image) -> list[Event]:
    """`sync.run_finished`: a run record's status leaves `running` (or a run is recorded finished at once)."""
    status = _string(new, "status")
    if status == "running" or (old is not None and _string(old, "status") == status):
        return []
    record = json.loads(_string(new, "record"))
    tenant, run_id = str(record["tenant_id"]), str(record["run_id"])
    return [
        Event(
            id=event_id(tenant, run_id, 0, "sync.run_finished"),
            type="sync.run_finished",
            occurred_at=str(record.get("finished_at") or record["started_at"]),
            tenant=tenant,
            actor=actor.integration(str(record["connection_id"])),
            data=record,
        )
    ]


def _connection_events(old: Image, new: Image, recorded_at: str) -> list[Event]:
    """`integration.disabled`: a connection switched off, or its sync stopped (`sync_disabled_reason` set)."""
    was_on = (old.get("enabled") or {}).get("BOOL", True) and "sync_disabled_reason" not in old
    now_off = not (new.get("enabled") or {}).get("BOOL", True) or "sync_disabled_reason" in new
    if not (was_on and now_off):
        return []
    connection = registry.from_item(new)
    reason = connection.sync_disabled_reason or "disabled"
    # When it happened: `disabled_at`, else the stream record's time (the same on every delivery of the record).
    when = connection.disabled_at.isoformat(timespec="milliseconds") if connection.disabled_at else recorded_at
    return [
        Event(
            id=event_id(connection.tenant_id, connection.connection_id, 0, "integration.disabled", when),
            type="integration.disabled",
            occurred_at=when,
            tenant=connection.tenant_id,
            actor=SYSTEM,
            data={**connection.public(), "reason": reason},
        )
    ]
