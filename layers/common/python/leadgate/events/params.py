"""`GET /api/v1/events` query parameters: order, filters and the cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field, StringConstraints

from leadgate.leads.params import moment_validator
from leadgate.params import QueryModel

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100
# `lead.created`, `lead.*`, `*`; several separated by commas.
TYPE_PATTERN = r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)(,(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)){0,9}$"


class EventListParams(QueryModel):
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=1024)] | None = None
    order: Literal["newest", "oldest"] = Field(
        default="newest", description="`newest` first (default), or `oldest` first: an integrator's reading order."
    )
    type: Annotated[str, StringConstraints(max_length=500, pattern=TYPE_PATTERN)] | None = Field(
        default=None, description="Event types, comma-separated; `lead.*` matches every lead event."
    )
    lead_id: Annotated[str, StringConstraints(pattern=r"^[0-9A-HJKMNP-TV-Z]{26}$")] | None = None
    since: Annotated[datetime | None, moment_validator(end_of_day=False)] = Field(
        default=None, description="Events journaled at or after this instant (ISO 8601 date or date-time)."
    )
    until: Annotated[datetime | None, moment_validator(end_of_day=True)] = Field(
        default=None, description="Events journaled at or before this instant."
    )

    @property
    def types(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.type.split(",")))) if self.type and self.type != "*" else ()
