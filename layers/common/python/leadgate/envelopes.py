"""The shapes of the API's answers, as the handlers declare them (`responses=`) for the description.

The handlers build their answers as plain JSON (`leadgate.api`); these models say what that JSON is: the one
error envelope, LeadHub's `data` / `meta` / `links` envelope (built for every list by `list_envelope`), and the
records inside. Records allow fields beyond the ones named here, so that a field added to a record is not a
broken contract.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadgate.events.model import Event
from leadgate.lists import Page


class ErrorEnvelope(BaseModel):
    """The one error envelope (LeadHub's); some codes add fields, e.g. the lead a duplicate hit."""

    model_config = ConfigDict(extra="allow")

    status: Literal["error"]
    message: str
    code: str
    errors: dict[str, list[str]] = Field(description="Field name -> messages; empty when not about fields.")


class _Record(BaseModel):
    model_config = ConfigDict(extra="allow")


class ConsentState(_Record):
    status: Literal["granted", "withdrawn"]
    text_version: str
    updated_at: str


class LeadRecord(_Record):
    """A lead as the API shows it: its writable fields plus what the system keeps."""

    id: str
    tags: list[str]
    custom_fields: dict[str, Any]
    inquiry_count: int
    external_ids: dict[str, str]
    stage_entered_at: str | None = Field(default=None, description="When the lead entered its current stage.")
    consents: dict[str, ConsentState] = Field(description="The current consent per purpose: its last record.")
    created_at: str
    updated_at: str


class ConsentRecord(_Record):
    """One consent given or withdrawn, as recorded (append-only)."""

    id: str
    lead_id: str
    purpose: str
    status: Literal["granted", "withdrawn"]
    text_version: str
    source: Literal["client", "form"]
    recorded_at: str
    client_id: str | None = None
    form_id: str | None = None
    route: str | None = None
    address: str | None = Field(default=None, description="The address the consent was sent from.")
    text: str | None = None
    page_url: str | None = None


class ErasureRecord(_Record):
    """An erasure's tombstone: which lead, when, by which client, what was removed. No personal data."""

    lead_id: str
    erased_at: str
    client_id: str
    removed: dict[str, int] = Field(description="Items removed, per store.")
    providers: list[dict[str, Any]] = Field(
        description="Each linked provider's delete: `deleted`, `not_found` or `failed` (with `error`)."
    )


class InquiryRecord(_Record):
    """One inquiry (反響) on a lead, with the payload as it was sent."""

    id: str
    lead_id: str
    channel: str
    received_at: str


class ListMeta(BaseModel):
    """Where the page sits in the list; numbers and totals are null where they are not known (a list read by
    cursor knows them only where the cursor carries them)."""

    current_page: int | None
    last_page: int | None
    per_page: int
    total: int | None
    from_: int | None = Field(alias="from")
    to: int | None
    next_cursor: str | None
    unreadable: int | None = Field(default=None, description="Stored items left out as unreadable (when not 0).")


class ListLinks(BaseModel):
    """`last` and `prev` only where `page=N` reaches them; `next` follows the cursor."""

    first: str
    last: str | None
    prev: str | None
    next: str | None
    self_: str = Field(alias="self")


class LeadEnvelope(BaseModel):
    data: LeadRecord


class LeadPage(BaseModel):
    data: list[LeadRecord]
    meta: ListMeta
    links: ListLinks


class InquiryPage(BaseModel):
    data: list[InquiryRecord]
    meta: ListMeta
    links: ListLinks


class StageMoveRecord(_Record):
    """One move of a lead between stages (its first stage: from null), and the client that made it."""

    lead_id: str
    from_pipeline_id: int | str | None
    from_stage_id: int | str | None = Field(description="Null for the lead's first stage.")
    to_pipeline_id: int | str | None
    to_stage_id: int | str | None
    moved_at: str
    client_id: str | None = Field(description="The API client that made the move; null for background work.")


class StageMovePage(BaseModel):
    data: list[StageMoveRecord]
    meta: ListMeta
    links: ListLinks


class ConsentPage(BaseModel):
    data: list[ConsentRecord]
    meta: ListMeta
    links: ListLinks


class ErasureEnvelope(BaseModel):
    data: ErasureRecord


class ErasurePage(BaseModel):
    data: list[ErasureRecord]
    meta: ListMeta
    links: ListLinks


class UserRecord(_Record):
    """A user leads are assigned to (they do not log in to this API: clients do); `open_lead_count` is exact."""

    id: int
    name: str
    email: str
    role: Literal["admin", "member", "viewer"]
    active: bool
    open_lead_count: int
    created_at: str
    updated_at: str


class UserEnvelope(BaseModel):
    data: UserRecord


class UserPage(BaseModel):
    data: list[UserRecord]
    meta: ListMeta
    links: ListLinks


class Reassigned(_Record):
    """A user deleted after their leads moved to `reassign_to`: how many moved."""

    reassigned: int


class ReassignedEnvelope(BaseModel):
    data: Reassigned


class ConnectionRecord(_Record):
    """An integration (a connection) as the API shows it: no secret, no secret ARN; `has_<field>` (true or false)
    for each secret field its provider takes, as the types catalog's `secrets_schema` names them."""

    id: str
    connection_id: str
    tenant_id: str
    provider: Literal["hubspot", "intercom", "chatdealer", "standard"]
    settings: dict[str, Any]
    base_url: str | None
    enabled: bool
    created_at: str
    disabled_at: str | None
    sync_every: str | None
    sync_disabled_reason: str | None


class SyncRunRecord(_Record):
    """One scheduled or manual sync run and what it did."""

    run_id: str
    connection_id: str
    provider: str
    status: Literal["queued", "running", "succeeded", "partial", "failed", "skipped"]
    started_at: str
    finished_at: str | None
    counts: dict[str, int]
    pages: int
    more_pending: bool
    error: str | None


class ConnectionEnvelope(BaseModel):
    data: ConnectionRecord


class CreatedConnectionRecord(ConnectionRecord):
    signing_secret: str | None = Field(
        None, description="A Standard Webhooks integration's signing secret: answered this once, never again."
    )


class CreatedConnectionEnvelope(BaseModel):
    data: CreatedConnectionRecord


class IntegrationType(BaseModel):
    type: Literal["hubspot", "intercom", "chatdealer", "standard"]
    name: str
    capabilities: dict[str, bool]
    settings_schema: dict[str, Any]
    secrets_schema: dict[str, Any]


class IntegrationTypesEnvelope(BaseModel):
    data: list[IntegrationType]


class ProbeRecord(BaseModel):
    ok: bool
    message: str
    provider_status: int | None


class ProbeEnvelope(BaseModel):
    data: ProbeRecord


class SyncRunEnvelope(BaseModel):
    data: SyncRunRecord


class EventPage(BaseModel):
    data: list[Event]
    meta: ListMeta
    links: ListLinks


class ConnectionPage(BaseModel):
    data: list[ConnectionRecord]
    meta: ListMeta
    links: ListLinks


class SyncRunPage(BaseModel):
    data: list[SyncRunRecord]
    meta: ListMeta
    links: ListLinks


class StageRecord(_Record):
    """A pipeline's stage: its place in the pipeline (`position`, from 1) and the exact number of leads in it."""

    id: int
    pipeline_id: int
    name: str
    position: int
    probability: int = Field(ge=0, le=100)
    type: Literal["open", "won", "lost"]
    archived: bool
    lead_count: int
    created_at: str
    updated_at: str


class PipelineRecord(_Record):
    """A pipeline with its stages in order; `default`: where intake lands a lead that names no stage."""

    id: int
    name: str
    position: int
    archived: bool
    default: bool
    stages: list[StageRecord]
    created_at: str
    updated_at: str


class PipelineEnvelope(BaseModel):
    data: PipelineRecord


class PipelinePage(BaseModel):
    data: list[PipelineRecord]
    meta: ListMeta
    links: ListLinks


class StageEnvelope(BaseModel):
    data: StageRecord


class StagePage(BaseModel):
    data: list[StageRecord]
    meta: ListMeta
    links: ListLinks


class StageStatsRecord(_Record):
    """A stage's figures: its leads now, and how long leads stayed in it (moves out of it in the window)."""

    stage_id: int
    name: str
    type: Literal["open", "won", "lost"]
    lead_count: int
    median_seconds_in_stage: float | None = Field(description="Null when no lead left the stage in the window.")
    sample_size: int = Field(description="The moves out of the stage the median is taken over.")


class PipelineStatsRecord(_Record):
    """Per stage, in pipeline order: HubSpot's "time in stage" over the last `window_days`."""

    pipeline_id: int
    window_days: int
    since: str
    sampled: bool = Field(description="True when the window held more moves than one call reads: the newest ones.")
    stages: list[StageStatsRecord]


class PipelineStatsEnvelope(BaseModel):
    data: PipelineStatsRecord


def list_envelope(page: Page, link: Callable[..., str]) -> dict[str, Any]:
    """The one list envelope, as `ListMeta` and `ListLinks` describe it. `link` is the resolver's: this request's
    URL with its query less `without` plus the given parameters, so the links keep the request's filters."""
    position = ("page", "cursor")
    records = page.records
    first = page.offset + 1 if page.offset is not None and records else None
    numbered = page.max_offset is not None
    return {
        "data": records,
        "meta": {
            "current_page": page.number,
            "last_page": page.last_page,
            "per_page": page.per_page,
            "total": page.total,
            "from": first,
            "to": page.offset + len(records) if page.offset is not None and first else None,
            "next_cursor": page.next_cursor,
            **({"unreadable": page.unreadable} if page.unreadable else {}),
        },
        "links": {
            "first": link(without=position, page=1) if numbered else link(without=position),
            "last": link(without=position, page=page.last_page) if page.last_page_reachable else None,
            "prev": (
                link(without=position, page=page.number - 1)
                if page.numbered_pages and page.number is not None and page.number > 1
                else None
            ),
            "next": link(without=position, cursor=page.next_cursor) if page.next_cursor else None,
            "self": link(keep_empty=True),
        },
    }


# Why each error status comes, where a route does not say better.
ERROR_DESCRIPTIONS = {
    400: "The request cannot be read (`BAD_REQUEST`, `INVALID_JSON`), or asks for a list position the list did "
    "not give (`INVALID_CURSOR`, `PAGE_OUT_OF_REACH`).",
    401: "Not authenticated (`UNAUTHORIZED`).",
    404: "Nothing there (`NOT_FOUND`).",
    410: "The lead was erased for good (`GONE`).",
    409: "The change conflicts with the stored data (`CONFLICT`, `DUPLICATE_LEAD`, `RESOURCE_IN_USE`).",
    412: "If-Match does not hold (`PRECONDITION_FAILED`).",
    413: "The body is too large (`PAYLOAD_TOO_LARGE`).",
    415: "The body is not JSON (`UNSUPPORTED_MEDIA_TYPE`).",
    422: "The request is invalid (`VALIDATION_FAILED`).",
    503: "A dependency is unavailable; retry (`SERVICE_UNAVAILABLE`).",
}


def answer(model: type[BaseModel] | None, description: str) -> dict[str, Any]:
    """A success response for `responses=`; `model=None` is an empty body."""
    if model is None:
        return {"description": description}
    return {"description": description, "content": {"application/json": {"model": model}}}


def errors_of(*statuses: int, **descriptions: str) -> dict[int, dict[str, Any]]:
    """Error responses in the envelope for `responses=`; `descriptions` overrides by `_<status>=...`."""
    return {
        status: {
            "description": descriptions.get(f"_{status}") or ERROR_DESCRIPTIONS[status],
            "content": {"application/json": {"model": ErrorEnvelope}},
        }
        for status in statuses
    }
