"""The connections API's query parameters: a page of connections, or of a connection's sync runs."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from leadgate.params import QueryModel

DEFAULT_PER_PAGE = 25
MAX_PER_PAGE = 100


class ConnectionListParams(QueryModel):
    """`per_page`, and the opaque `cursor` of `links.next`."""

    per_page: int = Field(default=DEFAULT_PER_PAGE, ge=1, le=MAX_PER_PAGE)
    cursor: Annotated[str, StringConstraints(min_length=1, max_length=512)] | None = None
