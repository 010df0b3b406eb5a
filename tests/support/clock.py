"""A clock the test moves by hand, for code that takes its clock as an argument (and, through the `clock`
fixture, for `leadgate.clock` itself)."""

from __future__ import annotations


class FakeClock:
    """A clock the test moves by hand (`clock.now += 60`), or that moves `tick` seconds after each read."""

    def __init__(self, now: float, tick: float = 0.0) -> None:
        self.now = now
        self.tick = tick

    def __call__(self) -> float:
        now = self.now
        self.now += self.tick
        return now
