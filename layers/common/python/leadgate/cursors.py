"""List cursors: the opaque `cursor` a list hands out, and the one answer to a cursor it did not hand out.

A cursor is a JSON object with the format's version `v`, base64url-encoded without padding. Each list decides
what its body holds and checks it (`leads.query`, `connections.service`, `sync.runs`); this module encodes,
decodes and refuses: 400 `INVALID_CURSOR`, with the reason under `errors.cursor`.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from leadgate import errors

VERSION = 1
MALFORMED = "The cursor is malformed."


def encode(body: Mapping[str, Any]) -> str:
    raw = json.dumps({"v": VERSION, **body}, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(raw: str) -> dict[str, Any]:
    """The body of a cursor this version of leadgate made (checked by the caller), else 400 INVALID_CURSOR."""
    try:
        body = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise invalid(MALFORMED) from exc
    if not isinstance(body, dict) or body.get("v") != VERSION:
        raise invalid(MALFORMED)
    return body


def is_count(value: Any, *, minimum: int = 0) -> bool:
    """A page number or offset as a cursor carries it: an int (not a bool) within bounds."""
    return isinstance(value, int) and not isinstance(value, bool) and minimum <= value <= 10**9


def invalid(reason: str) -> errors.InvalidPosition:
    return errors.InvalidPosition(errors={"cursor": [reason]})
