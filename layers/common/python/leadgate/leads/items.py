"""Lead and inquiry items: a record <-> its DynamoDB item (attribute values), read defensively.

Items written before the text rule (docs/text.md), or outside the API, must never take a response down:
text that cannot be encoded is served with U+FFFD, and an item that does not map at all is left out of lists
(`read_lead`/`read_inquiry` answer None). Both are logged with the lead's id only (never its data) and
counted as metrics. Keys and index attributes: leadgate.leads.keys.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from aws_lambda_powertools import Logger
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from leadgate import observability, text
from leadgate.events import actor
from leadgate.leads import keys
from leadgate.leads.consents import ConsentRecord
from leadgate.leads.records import NewInquiry, StoredInquiry, StoredLead
from leadgate.leads.requests import WRITABLE_FIELDS, LeadData

logger = Logger(child=True)

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def attribute_values(attributes: Mapping[str, Any]) -> dict[str, Any]:
    """Plain values as DynamoDB attribute values."""
    return {name: _serializer.serialize(value) for name, value in attributes.items()}


def lead_item(tenant_id: str, lead: StoredLead) -> dict[str, Any]:
    data = lead.data.model_dump(exclude={"custom_fields"})
    attributes: dict[str, Any] = {
        "PK": keys.partition(tenant_id),
        "SK": keys.lead_sk(lead.id),
        "id": lead.id,
        "version": lead.version,
        "created_at": lead.created_at,
        "updated_at": lead.updated_at,
        "inquiry_count": lead.inquiry_count,
        **{name: value for name, value in data.items() if value not in (None, [], {})},
        **keys.index_attributes(tenant_id, lead),
        **change_attributes(),
    }
    if lead.data.custom_fields:
        attributes["custom_fields"] = json.dumps(lead.data.custom_fields, ensure_ascii=False)
    for name in ("email_normalized", "phone_e164", "stage_entered_at", "stage_type"):
        if getattr(lead, name):
            attributes[name] = getattr(lead, name)
    if lead.search_tokens:
        attributes["search_tokens"] = sorted(lead.search_tokens)
    for name in ("external_ids", "external_updated_at", "tag_ids", "consents"):
        if getattr(lead, name):
            attributes[name] = dict(getattr(lead, name))
    return attribute_values(attributes)


ERASED_AT = "erased_at"


def is_tombstone(item: Mapping[str, Any]) -> bool:
    """An erased lead's item: its id, version and `erased_at`, nothing personal (docs/privacy.md)."""
    return ERASED_AT in item


def tombstone_item(tenant_id: str, lead: StoredLead, erased_at: str) -> dict[str, Any]:
    """What an erased lead's item becomes: no index attribute, so no list or index finds it."""
    return attribute_values(
        {
            "PK": keys.partition(tenant_id),
            "SK": keys.lead_sk(lead.id),
            "id": lead.id,
            "version": lead.version + 1,
            ERASED_AT: erased_at,
        }
    )


def read_erasure(item: Mapping[str, Any]) -> dict[str, Any]:
    """An erasure's record as listed: its attributes without the keys (nothing personal is stored in it)."""
    return {name: value for name, value in plain(item).items() if name not in ("PK", "SK")}


def read_consent(item: Mapping[str, Any], lead_id: str) -> ConsentRecord | None:
    try:
        return ConsentRecord.from_attributes(_readable(plain(item), lead_id))
    except Exception as error:
        _report_unreadable(lead_id, error)
        return None


def change_attributes() -> dict[str, Any]:
    """Who is writing (leadgate.events.actor), stamped on every lead and inquiry item for the events stream."""
    author = actor.current()
    return {"changed_by": author.name, "change_depth": author.depth}


def plain(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item's attributes as plain values (whole numbers as int)."""
    return {name: _number(_deserializer.deserialize(value)) for name, value in item.items()}


# Items written before the text rule (docs/text.md), or outside the API, must never take a response
# down: text that cannot be encoded is served with U+FFFD, and an item that does not map at all is left
# out of lists. Both are logged with the lead's id only (never its data) and counted as metrics.


def _readable(attributes: Any, lead_id: str) -> Any:
    """`attributes` with lone surrogates replaced by U+FFFD (reported when there were any)."""
    repaired, changed = text.readable(attributes)
    if changed:
        logger.warning("Stored text was not valid Unicode; served with U+FFFD", extra={"lead_id": lead_id})
        observability.count("RepairedItems")
    return repaired


def _report_unreadable(lead_id: str, error: Exception) -> None:
    logger.error(
        "A stored item could not be read; left out", extra={"lead_id": lead_id, "error_type": type(error).__name__}
    )
    observability.count("UnreadableItems")


def read_lead(item: Mapping[str, Any], lead_id: str) -> StoredLead | None:
    """The lead of an item, or None: an erased lead's tombstone, or (reported) an item that cannot be read."""
    if is_tombstone(item):
        return None
    try:
        return _lead_from_item(item, lead_id)
    except Exception as error:  # whatever stored data can be, one bad item must not fail the page
        _report_unreadable(lead_id, error)
        return None


def read_inquiry(item: Mapping[str, Any], lead_id: str) -> StoredInquiry | None:
    try:
        return _inquiry_from_item(item, lead_id)
    except Exception as error:
        _report_unreadable(lead_id, error)
        return None


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, list):
        return [_number(element) for element in value]
    if isinstance(value, dict):
        return {name: _number(element) for name, element in value.items()}
    return value


def _lead_from_item(item: Mapping[str, Any], lead_id: str) -> StoredLead:
    attributes = plain(item)
    attributes["custom_fields"] = json.loads(attributes.get("custom_fields", "{}"))
    attributes = _readable(attributes, lead_id)
    fields = {name: attributes[name] for name in WRITABLE_FIELDS if name in attributes}
    if not isinstance(fields["custom_fields"], dict) or not isinstance(fields.get("tags", []), list):
        raise TypeError("custom_fields or tags of the wrong type")
    # Validated when written: constructing skips re-parsing every email and phone number of a page.
    data = LeadData.model_construct(**fields)
    return StoredLead(
        id=attributes["id"],
        data=data,
        version=int(attributes["version"]),
        created_at=attributes["created_at"],
        updated_at=attributes["updated_at"],
        inquiry_count=attributes.get("inquiry_count", 0),
        email_normalized=attributes.get("email_normalized"),
        phone_e164=attributes.get("phone_e164"),
        search_tokens=frozenset(attributes.get("search_tokens", ())),
        external_ids=attributes.get("external_ids", {}),
        external_updated_at=attributes.get("external_updated_at", {}),
        tag_ids={name: int(tag_id) for name, tag_id in attributes.get("tag_ids", {}).items()},
        stage_entered_at=attributes.get("stage_entered_at"),
        stage_type=attributes.get("stage_type"),
        consents=attributes.get("consents", {}),
    )


def _inquiry_from_item(item: Mapping[str, Any], lead_id: str) -> StoredInquiry:
    attributes = plain(item)
    attributes["payload"] = json.loads(attributes["payload"])
    attributes["merge"] = json.loads(attributes["merge"]) if attributes.get("merge") else None
    attributes = _readable(attributes, lead_id)
    return StoredInquiry(
        id=attributes["id"],
        lead_id=attributes["lead_id"],
        channel=attributes["channel"],
        payload=attributes["payload"],
        received_at=attributes["received_at"],
        occurred_at=attributes.get("occurred_at"),
        source=attributes.get("source"),
        media_domain=attributes.get("media_domain"),
        client_id=attributes.get("client_id"),
        merge=attributes["merge"],
    )


def _compact_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def inquiry_attributes(
    inquiry: NewInquiry, inquiry_id: str, lead_id: str, received_at: str, lead_version: int
) -> dict[str, Any]:
    """An INQ# item's attributes (those with a value), before serialisation. `lead_version` is the lead's version
    the same write produced (1: the inquiry came with the lead; the events stream tells them apart)."""
    attributes = {
        "lead_version": lead_version,
        **change_attributes(),
        "id": inquiry_id,
        "lead_id": lead_id,
        "channel": inquiry.channel,
        "payload": _compact_json(inquiry.payload),
        "received_at": received_at,
        "occurred_at": inquiry.occurred_at,
        "source": inquiry.source,
        "media_domain": inquiry.media_domain,
        "client_id": inquiry.client_id,
        "merge": _compact_json(inquiry.merge) if inquiry.merge is not None else None,
        "form_id": inquiry.form_id,
    }
    return {name: value for name, value in attributes.items() if value is not None}
