"""Stored records: a lead as stored (`StoredLead`), an inquiry to store (`NewInquiry`) and one as stored
(`StoredInquiry`), and the one timestamp format (`iso`). Their DynamoDB items: leadgate.leads.items.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from leadgate.leads.fields import Channel
from leadgate.leads.requests import LeadData
from leadgate.text import JsonLimits, check_json


@dataclass(frozen=True)
class StoredLead:
    """A lead as stored: its writable data plus what the system keeps about it."""

    id: str
    data: LeadData
    version: int
    created_at: str
    updated_at: str
    inquiry_count: int = 0
    # What the lead's identity and search items hold: the repository diffs these on every write.
    email_normalized: str | None = None
    phone_e164: str | None = None
    search_tokens: frozenset[str] = field(default_factory=frozenset)
    # The lead's records in other systems ({"hubspot": "151"}), each an identity item like the email, and
    # when the lead last took a change from each (ISO 8601 UTC): older changes are stale (docs/intake.md).
    external_ids: Mapping[str, str] = field(default_factory=dict)
    external_updated_at: Mapping[str, str] = field(default_factory=dict)
    # The tags catalog's id of each tag the lead holds ({"vip": 5}), kept with the lead so that a write knows
    # which counts it moves and a rename or delete job knows which leads hold ITS tag (docs/workspace.md).
    tag_ids: Mapping[str, int] = field(default_factory=dict)
    # When the lead entered its stage, and (for a lead assigned to a user) the stage's type: `open`, `won`, `lost`
    # (leadgate.leads.stage_history). None on leads written before stage history: their stage counts as open.
    stage_entered_at: str | None = None
    stage_type: str | None = None
    # The current consent per purpose ({"marketing": {"status", "text_version", "updated_at"}}): the last
    # record of each purpose (leadgate.leads.consents).
    consents: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    @property
    def in_open_stage(self) -> bool:
        """Whether the lead counts in its user's `open_lead_count`: not in a won or lost stage."""
        return self.stage_type in (None, "open")

    def record(self) -> dict[str, Any]:
        """The lead as the API shows it."""
        return {
            "id": self.id,
            **self.data.model_dump(warnings=False),  # data stored before a rule (docs/text.md) is served as is
            "display_name": self.data.shown_name,
            "email_normalized": self.email_normalized,
            "phone_e164": self.phone_e164,
            "inquiry_count": self.inquiry_count,
            "external_ids": dict(self.external_ids),
            "stage_entered_at": self.stage_entered_at,
            "consents": {purpose: dict(state) for purpose, state in self.consents.items()},
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


# Every payload kept as an inquiry's payload as sent, whatever route or worker received it (docs/text.md).
PAYLOAD_LIMITS = JsonLimits(max_depth=9, max_members=1000, max_string_length=65_536)


@dataclass(frozen=True)
class NewInquiry:
    """One inquiry (反響) as received, kept on its lead. `payload` is the JSON the client sent, checked by the
    text rule at every depth when the inquiry is made (422 naming the place: `inquiry.message`)."""

    channel: Channel
    payload: Any
    occurred_at: str | None = None
    source: str | None = None
    media_domain: str | None = None
    client_id: str | None = None
    merge: Mapping[str, Any] | None = None  # what a match did with the values sent (filled, kept, replaced)
    form_id: int | None = None  # a form's submission (leadgate.forms): listed by the leads table's `by_form`

    def __post_init__(self) -> None:
        check_json(self.payload, "", PAYLOAD_LIMITS)


@dataclass(frozen=True)
class StoredInquiry:
    """An inquiry as stored, its payload and merge record decoded."""

    id: str
    lead_id: str
    channel: str
    payload: Any
    received_at: str
    occurred_at: str | None = None
    source: str | None = None
    media_domain: str | None = None
    client_id: str | None = None
    merge: Any = None

    def record(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "lead_id": self.lead_id,
            "occurred_at": self.occurred_at,
            "received_at": self.received_at,
            "source": self.source,
            "media_domain": self.media_domain,
            "client_id": self.client_id,
            "channel": self.channel,
            "payload": self.payload,
            "merge": self.merge,
        }


def iso(moment: datetime) -> str:
    """Timestamps as the API writes them: UTC, millisecond precision, with offset."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")
