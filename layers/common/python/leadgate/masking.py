"""PII masking for log lines: email addresses and phone numbers wherever they appear.

Its own module, free of side effects on import, so that tools (the local stack's log) can use the very rule
the functions' logs use (leadgate.observability) without building a Powertools Logger before the environment
is set.
"""

from __future__ import annotations

import re

_EMAIL = re.compile(r"[^\s\"'<>@,;:]+@[^\s\"'<>@,;:]+")
_SEPARATOR = r"[\s\-\u2010\u2011\u2013\u2014\u30fc]"
# A number written in groups (090-1234-5678, +81 90 1234 5678) or in one run the way phones are stored
# (09012345678, +819012345678); dates, times and epoch seconds match neither shape.
_PHONE = re.compile(
    rf"(?<![\w:.])(?:\+\d{{1,3}}{_SEPARATOR}?)?\(?\d{{1,4}}\)?{_SEPARATOR}\d{{1,4}}{_SEPARATOR}\d{{3,4}}(?![\w:.])"
    r"|(?<![\w:.])(?:\+\d{10,15}|0\d{9,10})(?![\w:.])"
)


def mask_pii(text: str) -> str:
    """`text` with email addresses and phone numbers replaced by `[email]` and `[phone]`."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))
