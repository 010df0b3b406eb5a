"""The shapes of the tags catalog's and the jobs' answers, as the workspace handler declares them (`responses=`);
built as plain JSON by `Tag.record()` and `Job.record()`. Records allow fields beyond the ones named here."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from leadgate.envelopes import ListLinks, ListMeta


class TagRecord(BaseModel):
    """A tag of the catalog: its id is stable across renames; `lead_count` is exact."""

    model_config = ConfigDict(extra="allow")

    id: int
    name: str
    color: str | None
    description: str | None
    lead_count: int
    created_at: str
    updated_at: str


class TagEnvelope(BaseModel):
    data: TagRecord


class TagPage(BaseModel):
    data: list[TagRecord]
    meta: ListMeta
    links: ListLinks


class JobRecord(BaseModel):
    """A background job: `done` of `total` leads changed so far."""

    model_config = ConfigDict(extra="allow")

    id: int
    kind: str
    status: Literal["queued", "running", "succeeded", "failed"]
    done: int
    total: int
    error: str | None
    created_at: str
    updated_at: str
    url: str


class JobEnvelope(BaseModel):
    data: JobRecord
