"""Reading intake requests: contracts validated into the error envelope, and query flags. The body itself has
passed its route's rule (`leadgate.bodies`) before any of this runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from leadgate import errors
from leadgate.api import validation_errors

if TYPE_CHECKING:
    from leadgate.api import LeadgateResolver

_TRUE, _FALSE = ("true", "1"), ("false", "0", "")

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


def flag(app: LeadgateResolver, name: str) -> bool:
    """A boolean query parameter (`?dry_run=true`); absent is false."""
    raw = (app.current_event.get_query_string_value(name) or "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise errors.BadRequest(f"{name} must be true or false.", errors={name: ["Must be true or false."]})
