"""The leads API's query parameters: the list's filters and pagination, and the lookup.

Query models (`leadgate.params`): an empty value means "not given", an undeclared parameter is refused.
Field types: leadgate.leads.fields.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from pydantic import (
    BeforeValidator,
    Field,
    StringConstraints,
    model_validator,
)
from pydantic_core import PydanticCustomError

from leadgate import errors
from leadgate.leads.consents import Purpose
from leadgate.leads.fields import (
    DEFAULT_PER_PAGE,
    MAX_OFFSET,
    MAX_PER_PAGE,
    Direction,
    Email,
    Phone,
    SortField,
    Tag,
    Text50,
    Text64,
    Text100,
    blank_to_none,
)
from leadgate.params import QueryModel


def parse_moment(raw: Any, *, end_of_day: bool) -> datetime:
    """An ISO 8601 date or date-time as an aware datetime (UTC when no offset is given).

    A bare date is inclusive: as a lower bound it is the start of the day, as an upper bound its end.
    """
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str) and len(raw.strip()) == 10:
        day = date.fromisoformat(raw.strip())
        moment = datetime.combine(day, time.min) + (timedelta(days=1, milliseconds=-1) if end_of_day else timedelta())
    elif isinstance(raw, str):
        moment = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    else:
        raise ValueError("not a date")
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def moment_validator(end_of_day: bool) -> Any:
    def validate(raw: Any) -> datetime:
        try:
            return parse_moment(raw, end_of_day=end_of_day)
        except ValueError as exc:
            raise PydanticCustomError("datetime", "The value must be an ISO 8601 date or date-time.") from exc

    return BeforeValidator(validate)


def page_out_of_reach(reason: str) -> errors.InvalidPosition:
    """A page number the list cannot serve: like a cursor it did not issue, a position out of its reach."""
    return errors.InvalidPosition(
        "This page cannot be read by number.", code="PAGE_OUT_OF_REACH", errors={"page": [reason]}
    )


class PageParams(QueryModel):
    """Pagination as LeadHub has it, plus our opaque cursor."""

    page: int = Field(default=1, ge=1, le=MAX_OFFSET)
    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=4096)] | None = None

    @model_validator(mode="after")
    def _bounded_offset(self) -> PageParams:
        if self.cursor is None and self.page * self.per_page > MAX_OFFSET:
            raise page_out_of_reach(f"page * per_page may be at most {MAX_OFFSET}; follow links.next instead.")
        return self


class LeadListParams(PageParams):
    """GET /api/v1/leads query parameters."""

    source: Text100 = None
    status: Text50 = None
    pipeline_id: Text64 = None
    stage_id: Text64 = None
    assigned_user_id: Text64 = None
    tag: Annotated[Tag | None, BeforeValidator(blank_to_none)] = None
    search: Text100 = None
    created_after: Annotated[datetime | None, moment_validator(end_of_day=False)] = None
    created_before: Annotated[datetime | None, moment_validator(end_of_day=True)] = None
    starred: Annotated[bool | None, BeforeValidator(blank_to_none)] = None
    # Leads whose last consent for this purpose granted it (docs/privacy.md: a filter, read with a cursor).
    consent: Annotated[Purpose | None, BeforeValidator(blank_to_none)] = None
    sort: SortField = "created_at"
    direction: Direction = "desc"

    @property
    def empty_range(self) -> bool:
        """created_before earlier than created_after: a window nothing was created in."""
        return bool(self.created_after and self.created_before and self.created_after > self.created_before)


class LookupParams(QueryModel):
    """GET /api/v1/leads/lookup: an email or a phone number, in any format (with neither, no lead matches)."""

    email: Email = None
    phone: Phone = None
