"""The one per-process cache of values read from a dependency (connections, their secrets): each entry lives
`ttl` seconds from when it was put. Thread-safe. `None` is a value like any other, so "no such item" can be
cached too; `get` tells a miss apart with its `found` flag."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Generic, TypeVar

Value = TypeVar("Value")


class TTLCache(Generic[Value]):
    def __init__(self, ttl: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock  # monotonic: a wall-clock step must not keep an entry alive or expire it early
        self._entries: dict[str, tuple[Value, float]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[bool, Value | None]:
        """(True, value) while the entry lives, else (False, None)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] <= self.clock():
                del self._entries[key]  # expired entries go when next read, so the cache stays the live size
                entry = None
        return (False, None) if entry is None else (True, entry[0])

    def put(self, key: str, value: Value, ttl: float | None = None) -> None:
        with self._lock:
            self._entries[key] = (value, self.clock() + (self.ttl if ttl is None else ttl))

    def forget(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
