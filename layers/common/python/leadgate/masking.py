"""PII masking for log lines: email addresses and phone numbers wherever they appear.

Its own module, free of side effects on import, so that tools (the local stack's log) can use the very rule
the functions' logs use (leadgate.observability) without building a Powertools Logger before the environment
is set.
"""

from __future__ import annotations

import re

_EMAIL = r"[^\s\"'<>@,;:]+@[^\s\"'<>@,;:]+"
_SEPARATOR = r"[\s\-\u2010\u2011\u2013\u2014\u30fc]"
# A number written in groups (090-1234-5678, +81 90 1234 5678) or in one run the way phones are stored
# (09012345678, +819012345678); dates, times and epoch seconds match neither shape.
_PHONE = (
    rf"(?<![\w:.])(?:\+\d{{1,3}}{_SEPARATOR}?)?\(?\d{{1,4}}\)?{_SEPARATOR}\d{{1,4}}{_SEPARATOR}\d{{3,4}}(?![\w:.])"
    r"|(?<![\w:.])(?:\+\d{10,15}|0\d{9,10})(?![\w:.])"
)
# Identifiers that are kept as they are, so logs can be joined on them: UUIDs (request and correlation ids),
# ULIDs (lead ids) and long hex ids (trace ids). Matched first and only as whole words, not inside an email.
_IDENTIFIER = (
    r"(?<![\w@.+\-])"
    r"(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}|[0-9a-fA-F]{16,})"
    r"(?![\w@\-])"
)
_PII = re.compile(rf"(?P<identifier>{_IDENTIFIER})|(?P<email>{_EMAIL})|(?P<phone>{_PHONE})")


def mask_pii(text: str) -> str:
    """`text` with emails and phone numbers replaced by `[email]` and `[phone]`, identifiers left as they are."""
    return _PII.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    if match.lastgroup == "identifier":
        return match.group()
    return f"[{match.lastgroup}]"
