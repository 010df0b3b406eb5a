"""Request bodies: the one rule every route's body passes before any code reads it.

`leadgate.routes` gives each route that takes a body its `BodyRule`; `leadgate.api` applies it to every
request, before Powertools' validation or a handler parses anything, so no route can skip it:

- Media type: compared case-insensitively, parameters allowed; a `charset` other than UTF-8 is refused. A
  missing `Content-Type` on a request with a body means JSON (what curl-less HTTP clients and API Gateway's
  test console send). Anything else is 415 `UNSUPPORTED_MEDIA_TYPE`.
- Size: at most the rule's `max_bytes` of raw body, 413 `PAYLOAD_TOO_LARGE` above it.
- Encoding: the body is UTF-8 (base64 when API Gateway says so); otherwise 400 `INVALID_JSON`.
- Nesting: at most `MAX_DEPTH` levels of arrays and objects, counted by a scan before parsing, so a deep
  document is a 400 `INVALID_JSON` and never a RecursionError. `NaN`, `Infinity` and numbers too large for a
  float are malformed JSON too (DynamoDB cannot store them).
- Shape: the top-level value is the rule's type (an object for every route today), else 422
  `VALIDATION_FAILED`; an empty body is 400 `BAD_REQUEST`.
- No error repeats the body or any part of it.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from leadgate import errors, http_errors
from leadgate.leads import MAX_LEAD_BYTES

JSON = "application/json"
MERGE_PATCH_JSON = "application/merge-patch+json"
MAX_DEPTH = 32
KIB = 1024

# A JSON string (escapes included) or a bracket: brackets inside strings are skipped.
_STRING_OR_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]')
_UTF8 = ("utf-8", "utf8")


@dataclass(frozen=True)
class BodyRule:
    media_types: frozenset[str]
    max_bytes: int
    top_level: type | tuple[type, ...] = dict


SINGLE_LEAD = BodyRule(frozenset({JSON}), MAX_LEAD_BYTES)
LEAD_PATCH = BodyRule(frozenset({JSON, MERGE_PATCH_JSON}), MAX_LEAD_BYTES)
BATCH = BodyRule(frozenset({JSON}), 1024 * KIB)
TAG = BodyRule(frozenset({JSON}), 4 * KIB)
# The workspace's records (pipelines with up to 50 stages, users, tags): small, 64 KiB is ample.
WORKSPACE = BodyRule(frozenset({JSON}), 64 * KIB)
WORKSPACE_PATCH = BodyRule(frozenset({JSON, MERGE_PATCH_JSON}), 64 * KIB)
TAG_PATCH = BodyRule(frozenset({JSON, MERGE_PATCH_JSON}), 4 * KIB)  # a catalog tag: PATCH /api/v1/tags/{id}
# A provider's delivery: an object (Intercom, Standard Webhooks) or an array of up to 100 events (HubSpot).
INTEGRATION = BodyRule(frozenset({JSON}), 16 * KIB)  # an integration: settings and secrets (POST, PUT)
INTEGRATION_PATCH = BodyRule(frozenset({JSON, MERGE_PATCH_JSON}), 16 * KIB)
WEBHOOK = BodyRule(frozenset({JSON}), 1024 * KIB, top_level=(dict, list))
TOKEN_FORM_MAX_BYTES = 8 * KIB
FORM_URLENCODED = "application/x-www-form-urlencoded"
# A public form submission (functions/form_submissions reads it itself: a plain <form> or JSON).
FORM_SUBMISSION = BodyRule(frozenset({JSON, FORM_URLENCODED}), 64 * KIB)

_TYPE_NAMES = {dict: "a JSON object", list: "a JSON array", (dict, list): "a JSON object or array"}


@dataclass(frozen=True)
class AcceptedBody:
    raw: bytes  # the bytes as sent (base64 decoded): what a signature covers
    text: str  # the body as UTF-8 text
    document: Any  # the parsed JSON


def accept(event: Mapping[str, Any], rule: BodyRule) -> AcceptedBody:
    """The API Gateway event's body if it passes `rule`, else the error saying why not (module docstring)."""
    check_media_type(header(event.get("headers"), "content-type"), rule.media_types)
    raw = read_bytes(event.get("body"), bool(event.get("isBase64Encoded")), rule.max_bytes)
    text = _utf8(raw)
    if not text.strip():
        raise http_errors.BadRequest("A JSON body is required.", errors={"body": ["This field is required."]})
    document = parse_json(text)
    if not isinstance(document, rule.top_level):
        expected = _TYPE_NAMES[rule.top_level]
        raise errors.ValidationFailed(errors={"body": [f"The body must be {expected}."]})
    return AcceptedBody(raw, text, document)


def header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    """A header's value from an API Gateway header map, whatever the case of its name."""
    for key, value in (headers or {}).items():
        if key.lower() == name:
            return value
    return None


def check_media_type(content_type: str | None, allowed: frozenset[str]) -> str:
    """The request's media type (lower case, without parameters) if it is one of `allowed`."""
    if content_type is None or not content_type.strip():
        return JSON
    media_type, *parameters = content_type.split(";")
    media_type = media_type.strip().lower()
    charset = next(
        (
            value.strip().strip('"').lower()
            for name, _, value in (p.partition("=") for p in parameters)
            if name.strip().lower() == "charset"
        ),
        None,
    )
    if media_type not in allowed or (charset is not None and charset not in _UTF8):
        accepted = " or ".join(sorted(allowed))
        raise http_errors.UnsupportedMediaType(
            f"The request body must be {accepted} (UTF-8).", errors={"Content-Type": [f"Use {accepted}."]}
        )
    return media_type


def decode(body: str | None, is_base64: bool, max_bytes: int) -> str:
    """The raw body as text: 413 above `max_bytes` (checked before decoding), 400 unless UTF-8."""
    return _utf8(read_bytes(body, is_base64, max_bytes))


def read_bytes(body: str | None, is_base64: bool, max_bytes: int) -> bytes:
    """The body's bytes as sent: 413 above `max_bytes` (checked before decoding), 400 for bad base64 or a lone
    surrogate (which no UTF-8 sender can send)."""
    raw = body or ""
    # A base64 text decodes to 3/4 of its length; a str has at least as many UTF-8 bytes as characters.
    if (len(raw) * 3 // 4 if is_base64 else len(raw)) > max_bytes:
        raise _too_large(max_bytes)
    try:
        data = base64.b64decode(raw, validate=True) if is_base64 else raw.encode("utf-8")
    except (binascii.Error, UnicodeError) as exc:
        raise _not_utf8() from exc
    if len(data) > max_bytes:
        raise _too_large(max_bytes)
    return data


def _utf8(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeError as exc:
        raise _not_utf8() from exc


def _not_utf8() -> http_errors.InvalidJson:
    return http_errors.InvalidJson(
        "The request body is not valid UTF-8.", errors={"body": ["The body must be UTF-8 text."]}
    )


def parse_json(text: str) -> Any:
    """The JSON document in `text`: 400 INVALID_JSON when malformed or nested deeper than MAX_DEPTH."""
    if _depth_exceeds(text, MAX_DEPTH):
        raise http_errors.InvalidJson(
            f"The JSON body is nested more than {MAX_DEPTH} levels deep.",
            errors={"body": [f"At most {MAX_DEPTH} levels of nesting."]},
        )
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except ValueError as exc:  # JSONDecodeError, and the two refusals below
        where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise http_errors.InvalidJson(errors={"body": [f"Malformed JSON{where}."]}) from None


def _depth_exceeds(text: str, limit: int) -> bool:
    depth = 0
    for match in _STRING_OR_BRACKET.finditer(text):
        bracket = text[match.start()]
        if bracket in "[{":
            depth += 1
            if depth > limit:
                return True
        elif bracket in "]}":
            depth -= 1
    return False


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(literal: str) -> float:
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


def _too_large(max_bytes: int) -> errors.PayloadTooLarge:
    return errors.PayloadTooLarge(
        f"The request body is larger than {max_bytes} bytes.", errors={"body": [f"At most {max_bytes} bytes."]}
    )
