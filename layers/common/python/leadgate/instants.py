"""The one pydantic type for an instant taken from outside (a request body, a provider's event, a queue message).

An instant is an ISO 8601 date-time with an offset that stays within years 1 to 9999 once in UTC:
`9999-12-31T23:59:59-14:00` is a valid ISO 8601 value that Python cannot convert to UTC (`OverflowError`), and
everything downstream (ids, `iso()`, the ledger) converts to UTC. Such a value is refused where it enters, as a
validation error naming its field, instead of failing later where nothing can answer for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator
from pydantic_core import PydanticCustomError


def _with_utc_equivalent(moment: datetime) -> datetime:
    """`moment` unchanged if it has a UTC equivalent, else PydanticCustomError."""
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise PydanticCustomError(
            "datetime_range", "The date-time must fall within years 1 to 9999 once converted to UTC."
        ) from None
    return moment


def _sent_as_text(value: Any) -> Any:
    """A date-time comes as ISO 8601 text; pydantic would also take a number as a Unix time."""
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "The value must be an ISO 8601 date-time with an offset.")
    return value


# An aware date-time with a UTC equivalent (from text, a number of seconds or a datetime).
Instant = Annotated[AwareDatetime, AfterValidator(_with_utc_equivalent)]
# An Instant sent as ISO 8601 text only: request bodies.
IsoInstant = Annotated[Instant, BeforeValidator(_sent_as_text)]
