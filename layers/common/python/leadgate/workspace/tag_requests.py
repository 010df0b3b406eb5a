"""The tags catalog's request bodies and list parameters (`POST/PUT/PATCH /api/v1/tags`, `GET /api/v1/tags`).

A tag's name has the lead API's grammar (`leadgate.leads.fields.Tag`: stored form, so `VIP` is `vip`); its
colour is `#rrggbb`; its description is text under the rule (docs/text.md).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from leadgate.leads.fields import Tag
from leadgate.leads.params import PageParams
from leadgate.text import Text

Color = Annotated[StrictStr, Field(pattern=r"^#[0-9a-fA-F]{6}$", description="`#rrggbb`.")]
Description = Text(500, multiline=True)


class TagCreate(BaseModel):
    """POST /api/v1/tags: a tag made ahead of use."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: Tag
    color: Color | None = None
    description: Description | None = None


class TagReplace(TagCreate):
    """PUT /api/v1/tags/{id}: every field; a new `name` renames the tag on every lead (onto an existing name:
    merges the two)."""


class TagPatch(BaseModel):
    """PATCH /api/v1/tags/{id}: the fields sent change (`null` clears colour or description)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: Tag | None = None
    color: Color | None = None
    description: Description | None = None


class TagListParams(PageParams):
    """GET /api/v1/tags: pages of the catalog, by name or by lead count (`-` for descending)."""

    sort: Literal["name", "-name", "lead_count", "-lead_count"] = "name"
