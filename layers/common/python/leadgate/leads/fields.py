"""The lead's field types: limits, Annotated pydantic types (names, email, phone, tags, custom fields, score)
and the rules behind them, shared by the request bodies, the query models and the stored records.

Field names and meanings follow LeadHub (snake_case). Japanese person data: `last_name` is the
family name and `first_name` the given name; kana is kept as full-width katakana.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    PlainValidator,
    StrictInt,
    StrictStr,
    WithJsonSchema,
)
from pydantic_core import PydanticCustomError

from leadgate import normalize
from leadgate.leads import tags
from leadgate.leads.tags import normalize_tag
from leadgate.text import REFUSED_IN_MULTILINE, ZERO_WIDTH, Text, clean, text_schema

MAX_TAGS = 50
MAX_CUSTOM_FIELDS = 50
MAX_NAME_LENGTH = 100  # first_name, last_name
MAX_CUSTOM_KEY_LENGTH = 100
MAX_CUSTOM_VALUE_LENGTH = 1000
MAX_PER_PAGE = 100
DEFAULT_PER_PAGE = 15
MAX_OFFSET = 10_000  # page * per_page without a cursor
MAX_SCORE = 1_000_000_000
MAX_ID = 2**53  # integer ids stay exact in every JSON client

SortField = Literal["created_at", "updated_at", "lead_score", "first_name", "last_name", "email"]
Direction = Literal["asc", "desc"]
Channel = Literal["hotlead", "leadhub", "api", "batch", "webhook", "sync", "form"]

# The rules below as JSON Schema, for the description (and so schemathesis generates what the rules accept).
# Blank: only whitespace and zero-width characters, none the text rule refuses (tabs and line breaks may be).
BLANK_SCHEMA = {
    "type": "string",
    "pattern": rf"^(?:[^\S{REFUSED_IN_MULTILINE}]|[{ZERO_WIDTH}])*$",
    "description": "Blank: no value.",
}
_BLANK = re.compile(BLANK_SCHEMA["pattern"])
EMAIL_SCHEMA = {"type": "string", "format": "email", "maxLength": 254}
PHONE_SCHEMA = {
    "type": "string",
    "format": "phone",
    "maxLength": 64,
    "description": "A valid phone number in any spelling (全角, dashes, +81); without a country code, Japanese.",
}


def one_of_required(**fields: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    """A model's JSON Schema extra: "at least one of these fields, with a value (its schema)" (an email or a
    phone, to match on).

    Stated as one whole object per field (`anyOf`), each requiring its field: a rule beside the properties
    would let a generator pick each property's values on its own (schemathesis' coverage phase does)."""

    def require(schema: dict[str, Any]) -> None:
        shape = {key: schema.pop(key) for key in ("properties", "required", "additionalProperties") if key in schema}
        branches = [
            {
                "type": "object",
                **shape,
                "properties": {**shape.get("properties", {}), name: value},
                "required": [*shape.get("required", []), name],
            }
            for name, value in fields.items()
        ]
        if len(branches) == 1:
            schema.update(branches[0])
        else:
            schema["anyOf"] = branches

    return require


def blank_to_none(value: Any) -> Any:
    """Empty strings mean "no value", as Laravel's ConvertEmptyStringsToNull does for LeadHub."""
    return None if isinstance(value, str) and _BLANK.match(value) else value


def _text(max_length: int, *, required: bool = False, multiline: bool = False) -> Any:
    """Text people write (leadgate.text's rule, NFC, trimmed); optional fields take blank as no value."""
    text = Text(max_length, multiline=multiline)
    if required:
        return text
    schema = {"type": "string", **text_schema(max_length, multiline=multiline)}
    return Annotated[
        text | None,
        BeforeValidator(blank_to_none),
        WithJsonSchema({"anyOf": [schema, BLANK_SCHEMA, {"type": "null"}]}),
    ]


def _valid_email(value: str | None) -> str | None:
    if value is not None and not normalize.email_is_valid(value):
        raise PydanticCustomError("email", "The email field must be a valid email address.")
    return value


def _valid_phone(value: str | None) -> str | None:
    if value is not None and not normalize.phone_is_valid(value):
        raise PydanticCustomError("phone", "The phone field must be a valid phone number.")
    return value


def integral(value: Any) -> Any:
    """A number with no fraction (`5.0`) is that integer: JSON does not tell them apart."""
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _identifier(value: Any) -> int | str | None:
    """Ids of pipelines, stages and users: an integer or a string, kept as the type sent."""
    value = integral(blank_to_none(value))
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ID:
        return value
    if isinstance(value, str):
        return clean(value, max_length=64)
    raise PydanticCustomError("identifier", "The value must be an integer ≥ 0 or a string of at most 64 characters.")


def _scalar(value: Any) -> str | bool | int | float | None:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, str):  # kept as sent (not trimmed); may hold line breaks
        return clean(value, max_length=MAX_CUSTOM_VALUE_LENGTH, min_length=0, multiline=True, strip=False)
    raise PydanticCustomError(
        "custom_field",
        "A custom field value must be a string of at most {max} characters, a number, a boolean or null.",
        {"max": MAX_CUSTOM_VALUE_LENGTH},
    )


def _unique(tags: list[str]) -> list[str]:
    return list(dict.fromkeys(tags))


Name = _text(MAX_NAME_LENGTH, required=True)
OptionalName = _text(MAX_NAME_LENGTH)
Text50 = _text(50)
Text64 = _text(64)
Text100 = _text(100)
Text200 = _text(200)
Notes = _text(10_000, multiline=True)
Address = _text(500, multiline=True)
Kana = Annotated[Text100, AfterValidator(normalize.to_katakana)]
Email = Annotated[
    _text(254), AfterValidator(_valid_email), WithJsonSchema({"anyOf": [EMAIL_SCHEMA, BLANK_SCHEMA, {"type": "null"}]})
]
Phone = Annotated[
    Text64, AfterValidator(_valid_phone), WithJsonSchema({"anyOf": [PHONE_SCHEMA, BLANK_SCHEMA, {"type": "null"}]})
]
Identifier = Annotated[
    int | str | None,
    PlainValidator(_identifier),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "integer", "minimum": 0, "maximum": MAX_ID},
                {"type": "string", **text_schema(64)},
                BLANK_SCHEMA,
                {"type": "null"},
            ]
        }
    ),
]
Tag = Annotated[StrictStr, AfterValidator(normalize_tag), Field(json_schema_extra=tags.json_schema)]
Tags = Annotated[list[Tag], Field(max_length=MAX_TAGS), AfterValidator(_unique)]
Scalar = Annotated[
    str | bool | int | float | None, PlainValidator(_scalar, json_schema_input_type=str | bool | int | float | None)
]
# Flat: keys (NFKC: they are matched when intake merges) map to scalars; nesting is refused.
CustomFields = Annotated[
    dict[Text(MAX_CUSTOM_KEY_LENGTH, form="NFKC"), Scalar],
    Field(max_length=MAX_CUSTOM_FIELDS),
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": MAX_CUSTOM_FIELDS,
            "propertyNames": {"type": "string", **text_schema(MAX_CUSTOM_KEY_LENGTH)},
            "additionalProperties": {
                "anyOf": [
                    {"type": "string", **text_schema(MAX_CUSTOM_VALUE_LENGTH, min_length=0, multiline=True)},
                    {"type": "number"},
                    {"type": "boolean"},
                    {"type": "null"},
                ]
            },
        }
    ),
]
Score = Annotated[StrictInt, Field(ge=-MAX_SCORE, le=MAX_SCORE), BeforeValidator(integral)]
