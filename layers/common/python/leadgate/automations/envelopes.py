"""The shapes of the automations API's answers, as its handler declares them (`responses=`); built as plain JSON
by `Automation.record()` and `Run.record()`. Records allow fields beyond the ones named here."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadgate.envelopes import ListLinks, ListMeta


class RunCounts(BaseModel):
    total: int
    succeeded: int
    failed: int
    stopped: int


class AutomationRecord(BaseModel):
    """An automation, never with its secret."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str
    active: bool
    trigger: dict[str, Any]
    conditions: dict[str, Any]
    actions: list[dict[str, Any]]
    reenroll: bool
    runs: RunCounts
    created_at: str
    updated_at: str


class SavedAutomationRecord(AutomationRecord):
    secret: str | None = Field(
        default=None,
        description="The signing secret of its `send_webhook` actions (`whsec_...`), answered once: on the save "
        "that first gave it one.",
    )


class AutomationEnvelope(BaseModel):
    data: SavedAutomationRecord


class AutomationPage(BaseModel):
    data: list[AutomationRecord]
    meta: ListMeta
    links: ListLinks


class RunRecord(BaseModel):
    """One automation applied to one event: each action's outcome (`done`, `unchanged`, `skipped`, `failed`,
    `waiting`) in order."""

    model_config = ConfigDict(extra="allow")

    automation_id: int
    lead_id: str | None
    event_id: str
    event_type: str
    status: Literal["running", "waiting", "succeeded", "failed", "stopped"]
    reason: str | None = Field(description="Why it stopped: `loop` (the chain went deeper than 3), ...")
    depth: int
    actions: list[dict[str, Any]]
    started_at: str
    finished_at: str | None
    resume_at: str | None
    error: str | None


class RunPage(BaseModel):
    data: list[RunRecord]
    meta: ListMeta
    links: ListLinks
