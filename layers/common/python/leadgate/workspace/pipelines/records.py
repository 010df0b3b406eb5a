"""Pipelines and stages as stored and as the API shows them. A pipeline keeps its stages' order (`stage_ids`):
a stage's `position` is its place in that list (from 1), so reordering is one write of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

DEFAULT_STAGES = (  # name, type, probability: a new tenant's default pipeline (docs/workspace.md)
    ("New", "open", 10),
    ("Contacted", "open", 20),
    ("Qualified", "open", 40),
    ("Proposal", "open", 60),
    ("Won", "won", 100),
    ("Lost", "lost", 0),
)
DEFAULT_PIPELINE_NAME = "Sales"


@dataclass(frozen=True)
class Stage:
    id: int
    pipeline_id: int
    name: str
    probability: int
    type: str
    archived: bool
    created_at: str
    updated_at: str
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def changed(self, updated_at: str, **values: Any) -> Stage:
        return replace(self, **values, updated_at=updated_at, version=self.version + 1)

    def attributes(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "pipeline_id": self.pipeline_id,
            "name": self.name,
            "probability": self.probability,
            "type": self.type,
            "archived": self.archived,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "version": self.version,
        }

    def record(self, position: int, lead_count: int) -> dict[str, Any]:
        shown = self.attributes()
        del shown["version"]
        return {**shown, "position": position, "lead_count": lead_count}


@dataclass(frozen=True)
class Pipeline:
    id: int
    name: str
    position: int
    archived: bool
    created_at: str
    updated_at: str
    stage_ids: tuple[int, ...] = field(default_factory=tuple)
    is_default: bool = False
    version: int = 1

    @property
    def etag(self) -> str:
        return f'"{self.version}"'

    def changed(self, updated_at: str, **values: Any) -> Pipeline:
        return replace(self, **values, updated_at=updated_at, version=self.version + 1)

    def position_of(self, stage_id: int) -> int:
        return self.stage_ids.index(stage_id) + 1

    def attributes(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "archived": self.archived,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "stage_ids": list(self.stage_ids),
            "is_default": self.is_default,
            "version": self.version,
        }

    def record(self, stages: dict[int, Stage], counts: dict[int, int]) -> dict[str, Any]:
        """The pipeline as the API shows it, its stages in order, each with its exact lead count."""
        return {
            "id": self.id,
            "name": self.name,
            "position": self.position,
            "archived": self.archived,
            "default": self.is_default,
            "stages": [
                stages[stage_id].record(place, counts.get(stage_id, 0))
                for place, stage_id in enumerate(self.stage_ids, start=1)
                if stage_id in stages
            ],
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def stage_from(attributes: dict[str, Any]) -> Stage:
    return Stage(**{name: attributes[name] for name in Stage.__dataclass_fields__ if name in attributes})


def pipeline_from(attributes: dict[str, Any]) -> Pipeline:
    values = {name: attributes[name] for name in Pipeline.__dataclass_fields__ if name in attributes}
    values["stage_ids"] = tuple(values.get("stage_ids", ()))
    return Pipeline(**values)
