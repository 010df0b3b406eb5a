"""Spam defences of the public submission route that cost nothing to a person: the honeypot and rate limits.

- Honeypot: a field hidden from people (`honeypot_field`); a submission that fills it is a robot's. It is
  answered exactly as a success, so the robot learns nothing, and nothing is stored.
- Rate limits, per source address and per form, on the one fixed-window counter (leadgate.ratelimit; each
  count one conditional UpdateItem, an exhausted window remembered by the instance and then free): 429 with
  Retry-After. The address is counted first, so one noisy address does not use up its form's allowance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from leadgate import errors
from leadgate.forms.records import Form
from leadgate.ratelimit import Policy, request_counter

PER_ADDRESS = (Policy(limit=10, window=60), Policy(limit=100, window=3600))
PER_FORM = (Policy(limit=120, window=60),)


def is_robot(form: Form, values: Mapping[str, Any]) -> bool:
    """Whether the honeypot field came back filled."""
    if form.honeypot_field is None:
        return False
    value = values.get(form.honeypot_field)
    return bool(value.strip() if isinstance(value, str) else value)


def admit(form: Form, address: str) -> None:
    """Counts one submission for its source address and its form; RateLimited (429) when either is over."""
    for subject, policies in ((f"form#ip#{address[:64]}", PER_ADDRESS), (f"form#{form.public_id}", PER_FORM)):
        decision = request_counter().hit(subject, policies)
        if not decision.allowed:
            raise errors.RateLimited(
                f"Too many submissions; retry after {decision.retry_after} seconds.", retry_after=decision.retry_after
            )
