"""A clock the test moves by hand, for code that takes its clock as an argument."""

from __future__ import annotations


class FakeClock:
    """A clock the test moves by hand (`clock.now += 60`)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now
