"""Handler instances, as Lambda keeps them: each serves one request at a time, more are started on demand.

A handler module holds per-request state (the Powertools resolver's current event and routing context,
its lazily built middleware stacks), so one module object must not serve two requests at once. Instead of
one lock per function (which would serialise every request and hide races), each function gets a pool of
independently loaded copies of its `app.py`, each with its own resolver, loaded lazily up to `size`.
The `leadgate` package and the libraries are shared, as they are thread-safe (boto3 clients, settings).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from leadgate_dev.events import lambda_context
from leadgate_dev.functions import FUNCTIONS_DIR, load_module

DEFAULT_POOL_SIZE = 32
LAMBDA_TIMEOUT_MS = 10_000


def load_instance(function: str, index: int, functions_dir: Path = FUNCTIONS_DIR) -> ModuleType:
    """A fresh copy of `functions/<function>/app.py`, independent of every other copy."""
    return load_module(function, f"leadgate_function_{function}_instance_{index}", functions_dir)


class FunctionPool:
    """Up to `size` instances per function; a request borrows an idle one or waits for one."""

    def __init__(self, size: int = DEFAULT_POOL_SIZE, functions_dir: Path = FUNCTIONS_DIR) -> None:
        self.size = size
        self.functions_dir = functions_dir
        self._idle: dict[str, list[ModuleType]] = {}
        self._loaded: dict[str, int] = {}
        self._load_seconds: dict[str, list[float]] = {}
        self._available = threading.Condition()
        self._counter = itertools.count()

    @contextmanager
    def instance(self, function: str) -> Iterator[ModuleType]:
        module = self._borrow(function)
        try:
            yield module
        finally:
            with self._available:
                self._idle[function].append(module)
                self._available.notify()

    def invoke(self, function: str, event: dict[str, Any], request_id: str) -> Any:
        """Calls the function's `lambda_handler` on an instance of its own, with a Lambda-like context."""
        with self.instance(function) as module:
            return module.lambda_handler(event, lambda_context(function, request_id, LAMBDA_TIMEOUT_MS))

    def loaded(self, function: str) -> int:
        with self._available:
            return self._loaded.get(function, 0)

    def load_seconds(self, function: str) -> list[float]:
        """How long each instance of `function` took to load (the first pays the shared imports)."""
        with self._available:
            return list(self._load_seconds.get(function, []))

    def _borrow(self, function: str) -> ModuleType:
        with self._available:
            idle = self._idle.setdefault(function, [])
            while not idle and self._loaded.get(function, 0) >= self.size:
                self._available.wait()
            if idle:
                return idle.pop()
            self._loaded[function] = self._loaded.get(function, 0) + 1
        try:
            started = time.perf_counter()
            module = load_instance(function, next(self._counter), self.functions_dir)
        except BaseException:
            with self._available:
                self._loaded[function] -= 1
                self._available.notify()
            raise
        with self._available:
            self._load_seconds.setdefault(function, []).append(time.perf_counter() - started)
        return module
