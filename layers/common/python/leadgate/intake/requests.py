"""Intake contracts validated into the error envelope: a 422 naming each field, in the names the client sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from leadgate import errors
from leadgate.api import validation_errors

Model = TypeVar("Model", bound=BaseModel)


def parse(model: type[Model], data: Any, *, rename: Mapping[str, str] | None = None) -> Model:
    """`data` as `model`, or a 422 naming each field; `rename` maps field names to the names the client sent."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        fields: dict[str, list[str]] = {}
        for name, messages in validation_errors(list(exc.errors())).items():
            fields.setdefault((rename or {}).get(name, name), []).extend(messages)
        raise errors.ValidationFailed(errors=fields) from exc
