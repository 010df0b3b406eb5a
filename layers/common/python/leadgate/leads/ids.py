"""ULIDs: 48-bit millisecond timestamp + 80 random bits, Crockford base32, 26 characters.

Ids sort by creation time, so a created range is an id range: every id created in millisecond `t`
lies between `floor_id(t)` and `ceiling_id(t)`.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
ULID_LENGTH = 26
_TIME_LENGTH = 10
_RANDOM_LENGTH = 16
_MAX_TIME = (1 << 48) - 1
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ULID = re.compile(f"^[0-7][{ALPHABET}]{{25}}$")


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, digit = divmod(value, 32)
        chars.append(ALPHABET[digit])
    return "".join(reversed(chars))


def _millis(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    # Integer arithmetic, not timestamp() * 1000: float rounding could disagree with isoformat's milliseconds.
    return min(max((moment - _EPOCH) // timedelta(milliseconds=1), 0), _MAX_TIME)


def new_ulid(moment: datetime) -> str:
    """A fresh id for something created at `moment` (millisecond precision)."""
    return _encode(_millis(moment), _TIME_LENGTH) + _encode(secrets.randbits(80), _RANDOM_LENGTH)


def floor_id(moment: datetime) -> str:
    """The smallest id of the millisecond `moment`."""
    return _encode(_millis(moment), _TIME_LENGTH) + ALPHABET[0] * _RANDOM_LENGTH


def ceiling_id(moment: datetime) -> str:
    """The largest id of the millisecond `moment`."""
    return _encode(_millis(moment), _TIME_LENGTH) + ALPHABET[-1] * _RANDOM_LENGTH


def is_ulid(value: str) -> bool:
    return bool(_ULID.match(value))
