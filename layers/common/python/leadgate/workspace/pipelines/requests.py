"""The pipelines and stages API's request bodies. PUT replaces what it names (a field left out takes its
default), PATCH changes only the fields sent; `stage_ids` reorders a pipeline's stages (Close's way)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictBool, field_validator
from pydantic.json_schema import SkipJsonSchema

from leadgate.leads.fields import integral
from leadgate.text import Text
from leadgate.workspace.ids import WorkspaceId

MAX_STAGES = 50  # per pipeline: a board, not a taxonomy; keeps a pipeline's stage list one small item

Name = Text(100)
# JSON does not tell `5.0` from `5` (nor does the description's `integer`): a number with no fraction is that integer.
Position = Annotated[int, Field(strict=True, ge=1, le=10_000), BeforeValidator(integral)]
Probability = Annotated[int, Field(strict=True, ge=0, le=100), BeforeValidator(integral)]
StageType = Literal["open", "won", "lost"]


def _each_once(stage_ids: list[int]) -> list[int]:
    if len(set(stage_ids)) != len(stage_ids):
        raise ValueError("Each stage id may appear once.")
    return stage_ids


# Every stage of a pipeline in its new order (Close's way of reordering).
StageIds = Annotated[
    list[Annotated[WorkspaceId, BeforeValidator(integral)]],
    Field(max_length=MAX_STAGES, json_schema_extra={"uniqueItems": True}),
    AfterValidator(_each_once),
]
# A PATCH field may be left out but not sent as null: the description offers no null for it.
Absent = SkipJsonSchema[None]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class StageCreate(_Body):
    """POST .../stages (and each stage of a new pipeline): `position` from 1, default: after the last stage."""

    name: Name
    probability: Probability = 0
    type: StageType = "open"
    position: Position | None = None
    archived: StrictBool = False


class StageReplace(StageCreate):
    """PUT .../stages/{stage_id}: every field; `position` left out keeps the stage where it is."""


class _Patch(_Body):
    """Only the fields sent change; none of them can be cleared (null): `Absent` keeps null out of the
    description."""

    @field_validator("*", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("This field cannot be null; leave it out to keep it.")
        return value


class StagePatch(_Patch):
    name: Name | Absent = None
    probability: Probability | Absent = None
    type: StageType | Absent = None
    position: Position | Absent = None
    archived: StrictBool | Absent = None


class PipelineCreate(_Body):
    """POST /api/v1/pipelines: without `stages`, the pipeline gets the default ones."""

    name: Name
    position: Position | None = None
    archived: StrictBool = False
    stages: Annotated[list[StageCreate], Field(min_length=1, max_length=MAX_STAGES)] | None = None


class PipelineReplace(_Body):
    """PUT /api/v1/pipelines/{id}: `stage_ids`, when given, is every stage of the pipeline in its new order."""

    name: Name
    position: Position | None = None
    archived: StrictBool = False
    stage_ids: StageIds | None = None


class PipelinePatch(_Patch):
    name: Name | Absent = None
    position: Position | Absent = None
    archived: StrictBool | Absent = None
    stage_ids: StageIds | Absent = None
