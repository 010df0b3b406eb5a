"""Providers' contacts as lead values: which property becomes which lead field (docs/integrations-hubspot.md).

Every result is validated as intake validates a LeadHub body (`IntakeLead`), so a provider's record is
normalised exactly as the inbound API's: a bad value is a 422 `ValidationFailed`. Phone numbers are the
exception: providers keep free text there ("ext. 12", "-"), so an invalid one is left out rather than
failing the record; the payload kept on the inquiry still has it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from leadgate import normalize
from leadgate.intake.contracts import IntakeLead
from leadgate.validation import parse

_JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f]")
# HubSpot property -> lead field.
HUBSPOT_FIELDS = {"email": "email", "firstname": "first_name", "lastname": "last_name", "company": "company"}
HUBSPOT_PHONES = ("phone", "mobilephone")  # the first valid one is the lead's phone
HUBSPOT_ADDRESS = ("zip", "state", "city", "address")  # joined in Japanese order: 〒, 都道府県, 市区町村, 番地
# HubSpot property -> custom field: kept beside the lead, never clobbering our own status or pipeline.
HUBSPOT_CUSTOM_FIELDS = {
    "jobtitle": "hubspot_jobtitle",
    "lifecyclestage": "hubspot_lifecyclestage",
    "hs_lead_status": "hubspot_lead_status",
}


def hubspot_values(properties: Mapping[str, Any]) -> dict[str, Any]:
    """A HubSpot contact's properties as the lead values they give (only those with a value)."""
    return _validated(hubspot_fields(properties))


def hubspot_fields(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The lead fields a HubSpot contact maps to, unvalidated (the sync's apply validates each record, so one
    bad value fails that record, not its page)."""
    values = {field: _text(properties.get(name)) for name, field in HUBSPOT_FIELDS.items()}
    values["phone"] = _first_valid_phone(properties.get(name) for name in HUBSPOT_PHONES)
    values["address"] = " ".join(part for part in (_text(properties.get(name)) for name in HUBSPOT_ADDRESS) if part)
    values["custom_fields"] = {
        field: _text(properties.get(name))
        for name, field in HUBSPOT_CUSTOM_FIELDS.items()
        if _text(properties.get(name))
    }
    return {name: value for name, value in values.items() if value not in (None, "", {}, [])}


def intercom_values(contact: Mapping[str, Any]) -> dict[str, Any]:
    """An Intercom contact (a user or a lead) as lead values. Its one `name` is kept whole as the display
    name and split at the first space: family first in Japanese ("山田 太郎", as HOTLEAD's), given first in
    other scripts ("Jane Doe"). `role` is kept as a custom field."""
    name = _text(contact.get("name"))
    family, given = normalize.split_name(name)
    if given and name and not _JAPANESE.search(name):
        family, given = given, family
    values = {
        "display_name": name,
        "last_name": family,
        "first_name": given,
        "email": _text(contact.get("email")),
        "phone": _first_valid_phone([contact.get("phone")]),
        "custom_fields": {"intercom_role": contact["role"]} if isinstance(contact.get("role"), str) else {},
    }
    return _validated(values)


def standard_values(data: Any) -> dict[str, Any]:
    """A Standard Webhooks `lead.created` / `lead.updated` event's `data`: LeadHub's inbound fields."""
    return parse(IntakeLead, data).values()


def _validated(values: Mapping[str, Any]) -> dict[str, Any]:
    present = {name: value for name, value in values.items() if value not in (None, "", {}, [])}
    return parse(IntakeLead, present).values()


def _text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _first_valid_phone(candidates: Any) -> str | None:
    for candidate in candidates:
        text = _text(candidate)
        if text and normalize.phone_is_valid(text):
            return text
    return None
