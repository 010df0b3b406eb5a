"""A page of a list, as every list route returns it: its public records, where it sits, what is known of the
whole list. `leadgate.envelopes.list_envelope` turns it into LeadHub's `data`/`meta`/`links`."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    records: list[dict[str, Any]]
    per_page: int
    next_cursor: str | None  # None: this is the last page
    number: int | None = None  # this page's number, where the cursor carries it
    offset: int | None = None  # records before this page, where the cursor carries it
    counted: int | None = None  # the list's size where a counter keeps it
    numbered_pages: bool = False  # whether `page=N` reaches every page exactly
    max_offset: int | None = None  # the deepest offset `page=N` may ask for; None: the list takes no `page`
    unreadable: int = 0  # stored items left out because they cannot be read

    @property
    def ends_here(self) -> bool:
        """The last page, reached where the list really ends (not a page number past its end)."""
        return self.next_cursor is None and self.offset is not None and (bool(self.records) or self.offset == 0)

    @property
    def total(self) -> int | None:
        """Exact where a counter exists; on the last page, what was actually counted."""
        if self.ends_here:
            return (self.offset or 0) + len(self.records)
        return self.counted

    @property
    def last_page(self) -> int | None:
        if self.ends_here:
            return self.number
        return max(1, math.ceil(self.counted / self.per_page)) if self.counted is not None else None

    @property
    def last_page_reachable(self) -> bool:
        """Whether `page=last_page` can be asked for without a cursor."""
        last = self.last_page
        return (
            self.numbered_pages
            and self.max_offset is not None
            and last is not None
            and last * self.per_page <= self.max_offset
        )
