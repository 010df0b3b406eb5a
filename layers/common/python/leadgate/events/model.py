"""The event: the one shape the journal stores, `GET /api/v1/events` answers, webhooks deliver and automations
react to.

An event is stored in the events table as one item whose `body` attribute is the event's JSON
(`Event.model_dump_json()`): the JSON round-trips exactly (no Decimal, no sets), and a reader of the table's
stream (webhook dispatch, automations) decodes it with `Event.from_body`. The item's keys are the journal's
concern (`leadgate.events.journal`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

ACTOR_KINDS = ("client", "integration", "automation", "form", "system")


class Event(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Stable: the same change is the same id however often it is delivered (`evt_...`).")
    type: str = Field(description="`lead.created`, `lead.updated`, ... (docs/events.md lists them).")
    occurred_at: str = Field(description="When the change happened, ISO 8601 UTC with milliseconds.")
    tenant: str
    actor: str = Field(
        description="Who made the change: `client:<id>`, `integration:<id>`, `automation:<id>`, "
        "`form:<id>` or `system`."
    )
    lead_id: str | None = Field(default=None, description="The lead the event is about, when it is about one.")
    sequence: int | None = Field(default=None, description="Per lead, increasing with every change of the lead.")
    depth: int = Field(default=0, description="How many automations' changes led to this one (loop guard).")
    data: dict[str, Any] = Field(description="The resource as the API shows it (thin, with `url`, over 20 KB).")
    tag: str | None = Field(default=None, description="The tag of `lead.tagged` / `lead.untagged`.")
    changed_fields: list[str] | None = None
    previous: dict[str, Any] | None = None

    @classmethod
    def from_body(cls, body: str) -> Event:
        return cls.model_validate_json(body)

    def body(self) -> str:
        return self.model_dump_json(exclude_none=True)
