"""Pages of the workspace's lists (pipelines, users, tags): LeadHub's `page` and `per_page` over a whole kind.

A tenant's workspace is small (hundreds of pipelines and users, thousands of tags), so a list reads the kind
once (one Query, id order), orders it in memory and hands out the asked page: totals and every page number are
exact, and `links.next` carries the next page number in a cursor like the other lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from pydantic import Field, StringConstraints, model_validator

from leadgate import cursors, errors
from leadgate.lists import Page
from leadgate.params import QueryModel

DEFAULT_PER_PAGE = 15  # LeadHub's
MAX_PER_PAGE = 100
MAX_OFFSET = 10_000


class WorkspacePageParams(QueryModel):
    """`page` (from 1), `per_page` (1-100, LeadHub's 15 by default), or the `cursor` of `links.next`."""

    page: int = Field(default=1, ge=1, le=MAX_OFFSET)
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None

    @model_validator(mode="after")
    def _bounded_offset(self) -> WorkspacePageParams:
        if self.page * self.per_page > MAX_OFFSET:
            raise errors.InvalidPosition(
                "This page cannot be read by number.",
                code="PAGE_OUT_OF_REACH",
                errors={"page": [f"page * per_page may be at most {MAX_OFFSET}."]},
            )
        return self

    def number(self, list_name: str) -> int:
        """The page asked for: `page`, or the page a cursor of this list carries (else 400 INVALID_CURSOR)."""
        if self.cursor is None:
            return self.page
        body = cursors.decode(self.cursor)
        if body.get("l") != list_name or not cursors.is_count(body.get("p"), minimum=2):
            raise cursors.invalid(cursors.MALFORMED)
        return body["p"]


def page_of(records: Sequence[Any], params: WorkspacePageParams, list_name: str) -> Page:
    """The asked page of a whole, ordered list."""
    number = params.number(list_name)
    offset = (number - 1) * params.per_page
    chosen = list(records[offset : offset + params.per_page])
    more = offset + params.per_page < len(records)
    next_cursor = cursors.encode({"l": list_name, "p": number + 1}) if more else None
    return Page(
        chosen,
        params.per_page,
        next_cursor,
        number=number,
        offset=offset,
        counted=len(records),
        numbered_pages=True,
        max_offset=MAX_OFFSET,
    )
