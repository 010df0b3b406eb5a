"""Pydantic's validation errors in the domain's words: `errors.ValidationFailed` naming each field by its path.

The one conversion of a pydantic error list into `{field path: [messages]}`: the edge uses it for what
Powertools validates, the domain for what it validates itself (`parse`). No message repeats the input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from leadgate import errors

Model = TypeVar("Model", bound=BaseModel)


def field_errors(pydantic_errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Pydantic's error list as LeadHub's `{field: [messages]}`; the body/query prefix is dropped."""
    fields: dict[str, list[str]] = {}
    for error in pydantic_errors:
        loc = list(error.get("loc", ()))
        if len(loc) >= 3 and loc[0] in ("query", "header") and isinstance(loc[2], str):
            del loc[1]  # the handler's name for a query model: the client sent the model's fields
        location = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
        fields.setdefault(".".join(location) or "body", []).append(_message(error))
    return fields


def failed(
    exc: ValidationError, message: str | None = None, *, rename: Mapping[str, str] | None = None
) -> errors.ValidationFailed:
    """The ValidationFailed that `exc` means; `rename` maps field names to the names the client sent."""
    fields: dict[str, list[str]] = {}
    for name, messages in field_errors(list(exc.errors())).items():
        fields.setdefault((rename or {}).get(name, name), []).extend(messages)
    return errors.ValidationFailed(message, errors=fields)


def parse(model: type[Model], data: Any, *, rename: Mapping[str, str] | None = None) -> Model:
    """`data` as `model`, or ValidationFailed naming each field (in the names the client sent, via `rename`)."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise failed(exc, rename=rename) from exc


def _message(error: Mapping[str, Any]) -> str:
    if error.get("type") == "missing":
        return "This field is required."
    if error.get("type") == "extra_forbidden":
        return "This field is not allowed."
    message = str(error.get("msg") or "Invalid value.")
    return message if message.endswith(".") else message + "."
