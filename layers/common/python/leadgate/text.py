"""The one rule for text that can reach storage, as pydantic field types; and the repair of text read back.

Every string a request can store is valid Unicode (no lone surrogates, which JSON's `\\ud800` escapes can
produce, and no noncharacters), has no control characters (C0, DEL, C1) except tab, CR and LF in multi-line
fields, no bidirectional controls, no line or paragraph separators (U+2028, U+2029) unless multi-line, is
trimmed of whitespace and zero-width characters at its edges where its field is trimmed, is normalised
as its field says (NFC for text people write, NFKC for keys that are matched), and has a length bound checked
after normalisation. Free-form JSON that is stored (HOTLEAD's `inquiry`, an inquiry's payload as sent) is
checked by the same rule at every depth, with bounded depth, object size and string length; it is stored as
sent, without normalisation. docs/text.md is the user-facing statement of these rules.

On the way out, `readable()` replaces what cannot be encoded (lone surrogates in items written before the
rule) with U+FFFD, so one bad item can never stop a response from being encoded.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, PlainValidator, StrictStr, StringConstraints, ValidationInfo, WithJsonSchema
from pydantic_core import PydanticCustomError, PydanticKnownError

from leadgate import errors

Form = Literal["NFC", "NFKC"]

_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Character classes as the inside of a regex class (`\uXXXX` escapes, read alike by Python and ECMA 262): the
# validators and the description's patterns are built from them.
# The control characters (C0, DEL, C1), and those a multi-line text may not hold (all but tab, LF and CR).
CONTROL = r"\x00-\x1f\x7f-\x9f"
CONTROL_BUT_LINE_BREAKS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
# Bidirectional embeddings, overrides and isolates: they reorder what a reader sees (Trojan Source).
BIDI_CONTROLS = r"\u202a-\u202e\u2066-\u2069"
# Line and paragraph separators: line breaks that single-line text may not hold.
LINE_SEPARATORS = r"\u2028\u2029"
# Noncharacters of the Basic Multilingual Plane; the other planes' U+nFFFE and U+nFFFF are refused too
# (`_NONCHARACTER`), but a pattern cannot name them alike in Python and ECMA 262.
NONCHARACTERS = r"\ufdd0-\ufdef\ufffe\uffff"
# Invisible characters stripped at the edges of trimmed text (inside a value, they join or separate letters).
ZERO_WIDTH = r"\u200b-\u200d\u2060\ufeff"
# What single-line and multi-line text may not hold at all.
REFUSED = CONTROL + BIDI_CONTROLS + LINE_SEPARATORS + NONCHARACTERS
REFUSED_IN_MULTILINE = CONTROL_BUT_LINE_BREAKS + BIDI_CONTROLS + NONCHARACTERS
_CONTROL = re.compile(f"[{CONTROL}]")
_CONTROL_BUT_LINE_BREAKS = re.compile(f"[{CONTROL_BUT_LINE_BREAKS}]")
_BIDI_CONTROL = re.compile(f"[{BIDI_CONTROLS}]")
_LINE_SEPARATOR = re.compile(f"[{LINE_SEPARATORS}]")
_NONCHARACTER = re.compile(
    f"[{NONCHARACTERS}" + "".join(chr(plane << 16 | 0xFFFE) + chr(plane << 16 | 0xFFFF) for plane in range(1, 17)) + "]"
)
_EDGES = re.compile(rf"^[\s{ZERO_WIDTH}]+|[\s{ZERO_WIDTH}]+$")
REPLACEMENT = "\ufffd"


def problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` may not be stored, or None."""
    surrogate = _SURROGATE.search(value)
    if surrogate:
        return f"The text must be valid Unicode: it contains a lone surrogate (U+{ord(surrogate.group()):04X})."
    control = (_CONTROL_BUT_LINE_BREAKS if multiline else _CONTROL).search(value)
    if control:
        allowed = " other than tab and line breaks" if multiline else ""
        return f"The text must not contain control characters{allowed} (U+{ord(control.group()):04X} found)."
    if bidi := _BIDI_CONTROL.search(value):
        return f"The text must not contain bidirectional controls (U+{ord(bidi.group()):04X} found)."
    if noncharacter := _NONCHARACTER.search(value):
        return f"The text must not contain noncharacters (U+{ord(noncharacter.group()):04X} found)."
    if not multiline and (separator := _LINE_SEPARATOR.search(value)):
        return f"The text must be a single line (U+{ord(separator.group()):04X} found)."
    return None


def trim(value: str) -> str:
    """`value` without whitespace and zero-width characters at its edges."""
    return _EDGES.sub("", value)


def clean(
    value: str, *, max_length: int, min_length: int = 1, multiline: bool = False, form: Form = "NFC", strip: bool = True
) -> str:
    """`value` as stored: checked, normalised, trimmed, length-bounded. Raises PydanticCustomError."""
    reason = problem(value, multiline=multiline)
    if reason:
        raise PydanticCustomError("text", reason)
    text = unicodedata.normalize(form, value)
    if strip:
        text = trim(text)
    if len(text) < min_length:
        raise PydanticKnownError("string_too_short", {"min_length": min_length})
    if len(text) > max_length:
        raise PydanticKnownError("string_too_long", {"max_length": max_length})
    return text


def json_size(value: Any) -> int:
    """The bytes of `value` as compact UTF-8 JSON, a lone surrogate counted as the three bytes its escape
    decodes to: measuring a value never fails on text the rule then refuses, naming its field."""
    return len(json.dumps(value, ensure_ascii=False).encode("utf-8", "surrogatepass"))


def Text(  # noqa: N802 - used like a type: `name: Text(100)`
    max_length: int, *, min_length: int = 1, multiline: bool = False, form: Form = "NFC", strip: bool = True
) -> Any:
    """A string field under the rule: `Annotated[str, ...]`."""

    def validate(value: str) -> str:
        return clean(value, max_length=max_length, min_length=min_length, multiline=multiline, form=form, strip=strip)

    return Annotated[
        StrictStr, AfterValidator(validate), Field(json_schema_extra=text_schema(max_length, min_length, multiline))
    ]


def text_schema(max_length: int, min_length: int = 1, multiline: bool = False) -> dict[str, Any]:
    """The rule as JSON Schema, for the description: no character the rule refuses, something left after
    trimming."""
    allowed = f"[^{REFUSED_IN_MULTILINE if multiline else REFUSED}]"
    visible = rf"[^\s{REFUSED}{ZERO_WIDTH}]"
    pattern = f"^{allowed}*{visible}{allowed}*$" if min_length else f"^{allowed}*$"
    return {"maxLength": max_length, "pattern": pattern}


# ------------------------------------------------------------------ free-form JSON


@dataclass(frozen=True)
class JsonLimits:
    """Bounds of a free-form JSON value. Depth counts containers: `{"a": [1]}` has depth 2."""

    max_depth: int = 8
    max_members: int = 100  # keys of an object, items of an array
    max_key_length: int = 200
    max_string_length: int = 10_000


def json_problem(value: Any, limits: JsonLimits, *, depth: int = 1) -> tuple[str, str] | None:
    """The first place (a dotted path below `value`, "" for `value` itself) where `value` breaks the rule
    for stored JSON, and why; None when it keeps it. Strings may hold tab and line breaks; numbers are
    finite; keys are non-empty single-line text."""
    if not isinstance(value, list | Mapping):
        reason = _scalar_problem(value, limits)
        return ("", reason) if reason else None
    if depth > limits.max_depth:
        return "", f"JSON may nest at most {limits.max_depth} levels deep."
    if len(value) > limits.max_members:
        return "", f"An object or array may have at most {limits.max_members} members."
    members = value.items() if isinstance(value, Mapping) else enumerate(value)
    for key, member in members:
        place = _printable(str(key))
        if isinstance(key, str) and (reason := _key_problem(key, limits)):
            return place, reason
        if found := json_problem(member, limits, depth=depth + 1):
            below, reason = found
            return ".".join(part for part in (place, below) if part), reason
    return None


def _scalar_problem(value: Any, limits: JsonLimits) -> str | None:
    if value is None or isinstance(value, bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else "Numbers must be finite."
    if not isinstance(value, str):
        return "Only JSON values are allowed."
    if len(value) > limits.max_string_length:
        return f"A string may have at most {limits.max_string_length} characters."
    return problem(value, multiline=True)


def _key_problem(key: str, limits: JsonLimits) -> str | None:
    if not 0 < len(key) <= limits.max_key_length:
        return f"Keys are 1 to {limits.max_key_length} characters."
    return problem(key)


def check_json(value: Any, field: str, limits: JsonLimits) -> Any:
    """`value` if it keeps the rule, else 422 VALIDATION_FAILED naming the exact place (`field.a.0`)."""
    found = json_problem(value, limits)
    if found:
        below, reason = found
        place = ".".join(part for part in (field, below) if part) or "body"
        raise errors.ValidationFailed(errors={place: [reason]})
    return value


def JsonObject(limits: JsonLimits = JsonLimits(), described_as: Any = dict[str, Any]) -> Any:  # noqa: N802
    """A free-form JSON object field under the rule, kept as sent. A violation is a 422 naming the path
    inside the field (`inquiry.message`); it is raised past pydantic, as pydantic locations cannot go
    below a plain validator. `described_as` is the type its JSON Schema comes from (`json_value_schema`)."""

    def validate(value: Any, info: ValidationInfo) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise PydanticCustomError("dict_type", "The value must be a JSON object.")
        return check_json(value, info.field_name or "body", limits)

    return Annotated[dict[str, Any], PlainValidator(validate, json_schema_input_type=described_as)]


def json_key_type(limits: JsonLimits) -> Any:
    """A key under the rule, for JSON Schema: non-empty single-line text. (Stated with `not`: a key `pattern`
    would become `patternProperties`, which lets every other key through.)"""
    schema = {
        "type": "string",
        "minLength": 1,
        "maxLength": limits.max_key_length,
        "not": {"pattern": f"[{REFUSED}]"},
    }
    return Annotated[str, WithJsonSchema(schema)]


def json_string_type(limits: JsonLimits) -> Any:
    """A string value under the rule, for JSON Schema: tab and line breaks allowed."""
    return Annotated[
        str,
        StringConstraints(max_length=limits.max_string_length, pattern=f"^[^{REFUSED_IN_MULTILINE}]*$"),
    ]


def _printable(name: str) -> str:
    """A key as an error may name it: what cannot be encoded is shown as U+FFFD."""
    return encodable(name)


# ------------------------------------------------------------------ reading back


def encodable(text: str) -> str:
    """`text` with lone surrogates replaced by U+FFFD, so it always encodes as UTF-8."""
    return _SURROGATE.sub(REPLACEMENT, text)


def readable(value: Any) -> tuple[Any, bool]:
    """`value` with every lone surrogate (in strings and keys, at any depth) replaced by U+FFFD, and
    whether anything was replaced."""
    if isinstance(value, str):
        repaired = encodable(value)
        return repaired, repaired != value
    if isinstance(value, list | tuple | set | frozenset):
        parts = [readable(member) for member in value]
        members = [member for member, _ in parts]
        return (members if isinstance(value, list) else type(value)(members)), any(changed for _, changed in parts)
    if isinstance(value, Mapping):
        entries = [(readable(key), readable(member)) for key, member in value.items()]
        return {key: member for (key, _), (member, _) in entries}, any(k or m for (_, k), (_, m) in entries)
    return value, False
