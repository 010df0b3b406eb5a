"""schemathesis hooks for the contract runs (`SCHEMATHESIS_HOOKS=leadgate_dev.contract.hooks`, set by
`leadgate_dev.contract`).

- `format: phone` (leadgate.leads.fields.PHONE_SCHEMA) is ours: valid numbers, from phonenumbers' own examples,
  in the spellings people type. JSON Schema cannot say which digit strings are numbers; schemathesis would
  otherwise send any string.
- Every `Idempotency-Key` gets a unique suffix. Reusing a key with another request is a state conflict that
  the IETF draft answers 422 IDEMPOTENCY_KEY_REUSED (tests/integration/test_inbound_idempotency.py); random data
  reuses keys constantly. A key that breaks the pattern is left as it is, so negative data stays negative.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import phonenumbers
import schemathesis
from hypothesis import strategies as st

from leadgate.api import IDEMPOTENCY_HEADER, IDEMPOTENCY_KEY_PATTERN

_TYPES = (
    phonenumbers.PhoneNumberType.MOBILE,
    phonenumbers.PhoneNumberType.FIXED_LINE,
    phonenumbers.PhoneNumberType.TOLL_FREE,
)
# Full-width digits, hyphen and plus (U+FF10-FF19, FF0D, FF0B), as Japanese keyboards type them.
_FULL_WIDTH = {ord(c): ord(c) + 0xFEE0 for c in "0123456789-+"}


def phone_spellings() -> list[str]:
    """Valid numbers as people write them: Japanese ones in every format, others in international ones."""
    spellings = []
    for region in ("JP", "US", "GB"):
        for number_type in _TYPES:
            number = phonenumbers.example_number_for_type(region, number_type)
            if number is None:
                continue
            formats = [phonenumbers.PhoneNumberFormat.E164, phonenumbers.PhoneNumberFormat.INTERNATIONAL]
            if region == "JP":
                formats.append(phonenumbers.PhoneNumberFormat.NATIONAL)
            for number_format in formats:
                spelling = phonenumbers.format_number(number, number_format)
                spellings += [spelling, spelling.translate(_FULL_WIDTH)]
    return spellings


schemathesis.openapi.format("phone", st.sampled_from(phone_spellings()))


@schemathesis.hook
def before_call(ctx: Any, case: Any, **kwargs: Any) -> None:
    headers = case.headers or {}
    for name, value in headers.items():
        if (
            name.lower() == IDEMPOTENCY_HEADER.lower()
            and isinstance(value, str)
            and re.match(IDEMPOTENCY_KEY_PATTERN, value)
        ):
            headers[name] = _unique(value)


def _unique(key: str) -> str:
    suffix = uuid.uuid4().hex
    if key.startswith('"'):
        return f'"{key[1:-1][:200]}-{suffix}"'
    return f"{key[:200]}-{suffix}"
