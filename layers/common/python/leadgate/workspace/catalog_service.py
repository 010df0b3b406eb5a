"""The tags catalog's service for the API: validated models in, tags, pages and started jobs out.

Reads and writes are `leadgate.workspace.tags`; renames, merges and deletes that reach the leads are
`leadgate.workspace.tag_changes`. `If-Match` holds against the tag's ETag (its `updated_at`).
"""

from __future__ import annotations

from dataclasses import dataclass

from leadgate import errors
from leadgate.leads.params import MAX_OFFSET
from leadgate.lists import Page
from leadgate.workspace import jobs, tag_changes
from leadgate.workspace import tags as catalog
from leadgate.workspace.tag_requests import TagCreate, TagListParams, TagPatch, TagReplace


@dataclass(frozen=True)
class Changed:
    """A change's answer: the tag after it (None: deleted), or the job that goes on with it."""

    tag: catalog.Tag | None
    job: jobs.Job | None = None


def list_tags(tenant_id: str, params: TagListParams) -> Page:
    """The whole catalog sorted here (thousands of tags at most), one page of it: 2 Queries."""
    tags = catalog.list_all(tenant_id)
    field = params.sort.lstrip("-")
    tags.sort(key=lambda tag: (tag.lead_count, tag.name) if field == "lead_count" else tag.name)
    if params.sort.startswith("-"):
        tags.reverse()
    number = _page_number(params)
    offset = (number - 1) * params.per_page
    records = [tag.record() for tag in tags[offset : offset + params.per_page]]
    more = offset + params.per_page < len(tags)
    return Page(
        records=records,
        per_page=params.per_page,
        next_cursor=str(number + 1) if more else None,
        number=number,
        offset=offset,
        counted=len(tags),
        numbered_pages=True,
        max_offset=MAX_OFFSET,
    )


def _page_number(params: TagListParams) -> int:
    """The cursor of this list is the next page's number."""
    if params.cursor is None:
        return params.page
    if not params.cursor.isascii() or not params.cursor.isdigit() or not 1 <= int(params.cursor) <= MAX_OFFSET:
        raise errors.InvalidPosition()
    return int(params.cursor)


def create_tag(tenant_id: str, body: TagCreate) -> catalog.Tag:
    return catalog.create(tenant_id, body.name, body.color, body.description)


def get_tag(tenant_id: str, tag_id: int) -> catalog.Tag:
    return catalog.get(tenant_id, tag_id)


def change_tag(tenant_id: str, tag_id: int, body: TagReplace | TagPatch, if_match: str | None) -> Changed:
    """Colour and description in place; a new name renames (or merges) the tag on its leads."""
    tag = catalog.get(tenant_id, tag_id)
    _check_precondition(tag, if_match)
    sent = body.model_fields_set if isinstance(body, TagPatch) else set(TagReplace.model_fields)
    color = body.color if "color" in sent else tag.color
    description = body.description if "description" in sent else tag.description
    if (color, description) != (tag.color, tag.description):
        tag = catalog.update_details(tenant_id, tag, color, description)
    if "name" not in sent or body.name is None or body.name == tag.name:
        return Changed(tag)
    started = tag_changes.rename(tenant_id, tag, body.name)
    return Changed(started.tag, started.job)


def delete_tag(tenant_id: str, tag_id: int, if_match: str | None) -> Changed:
    tag = catalog.get(tenant_id, tag_id)
    _check_precondition(tag, if_match)
    started = tag_changes.delete(tenant_id, tag)
    return Changed(None, started.job)


def _check_precondition(tag: catalog.Tag, if_match: str | None) -> None:
    if if_match is None:
        return
    etags = [etag.strip() for etag in if_match.split(",")]
    if "*" not in etags and tag.etag not in etags:
        raise errors.PreconditionFailed(f"The tag's ETag is {tag.etag}.", etag=tag.etag)
