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


class LeadRecord(_Record):
    """A lead as the API shows it: its writable fields plus what the system keeps."""

    id: str
    tags: list[str]
    custom_fields: dict[str, Any]
    inquiry_count: int
    external_ids: dict[str, str]
    created_at: str
    updated_at: str


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
    """A connection as the API shows it: no secret, no secret ARN."""

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
    status: Literal["running", "succeeded", "partial", "failed", "skipped"]
    started_at: str
    finished_at: str | None
    counts: dict[str, int]
    pages: int
    more_pending: bool
    error: str | None


class ConnectionEnvelope(BaseModel):
    data: ConnectionRecord


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
