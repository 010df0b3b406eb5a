"""Reading intake requests: JSON bodies within a size limit, contracts validated into the error envelope."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from leadgate import errors
from leadgate.api import validation_errors

if TYPE_CHECKING:
    from leadgate.api import LeadgateResolver

MAX_BODY_BYTES = 64 * 1024
MAX_BATCH_BODY_BYTES = 1024 * 1024
_TRUE, _FALSE = ("true", "1"), ("false", "0", "")

Model = TypeVar("Model", bound=BaseModel)


def json_body(app: LeadgateResolver, *, max_bytes: int = MAX_BODY_BYTES) -> Any:
    """The request's JSON body: 415 unless JSON, 413 above `max_bytes`, 400 when empty or malformed."""
    event = app.current_event
    media_type = (event.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise errors.UnsupportedMediaType()
    size = len((event.decoded_body or "").encode("utf-8"))
    if size > max_bytes:
        raise errors.PayloadTooLarge(
            f"The request body is {size} bytes; at most {max_bytes} are accepted.",
            errors={"body": [f"At most {max_bytes} bytes."]},
        )
    if size == 0:
        raise errors.BadRequest("A JSON body is required.", errors={"body": ["This field is required."]})
    return app.json_body()


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
