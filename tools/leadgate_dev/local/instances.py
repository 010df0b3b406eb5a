"""Handler instances, as Lambda keeps them: each serves one request at a time, more are started on demand.

A handler module holds per-request state (the Powertools resolver's current event and routing context,
its lazily built middleware stacks), so one module object must not serve two requests at once. Instead of
one lock per function (which would serialise every request and hide races), each function gets a pool of
independently loaded copies of its `app.py`, each with its own resolver, loaded lazily up to `size`.
The `leadgate` package and the libraries are shared, as they are thread-safe (boto3 clients, settings).

Each call runs on a thread of its own and is waited for until the function's `Timeout` (template.yaml), as
Lambda enforces it. A thread cannot be killed, so an instance that runs past it is retired instead: it never
serves again, and its place in the pool goes to a fresh instance.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from leadgate_dev import template
from leadgate_dev.harness.events import lambda_context
from leadgate_dev.harness.functions import FUNCTIONS_DIR, load_module

DEFAULT_POOL_SIZE = 32
INTEGRATION_TIMEOUT_SECONDS = 29.0  # API Gateway (REST) stops waiting for an integration after 29 s


class InvocationTimeout(Exception):
    """The handler did not answer in time; it may still be running (and writing) on its retired instance."""

    def __init__(self, function: str, seconds: float) -> None:
        super().__init__(f"{function}: Task timed out after {seconds:.2f} seconds")
        self.function = function
        self.seconds = seconds


class FunctionTimeout(InvocationTimeout):
    """The handler ran past its function's `Timeout`: Lambda ends the invocation with an error."""


class IntegrationTimeout(InvocationTimeout):
    """API Gateway stopped waiting before the function's own `Timeout` (only when that is over 29 s)."""


def load_instance(function: str, index: int, functions_dir: Path = FUNCTIONS_DIR) -> ModuleType:
    """A fresh copy of `functions/<function>/app.py`, independent of every other copy."""
    return load_module(function, f"leadgate_function_{function}_instance_{index}", functions_dir)


class FunctionPool:
    """Up to `size` instances per function; a request borrows an idle one or waits for one."""

    def __init__(
        self,
        size: int = DEFAULT_POOL_SIZE,
        functions_dir: Path = FUNCTIONS_DIR,
        *,
        timeouts: Mapping[str, float] | None = None,
        integration_timeout: float = INTEGRATION_TIMEOUT_SECONDS,
    ) -> None:
        """`timeouts`: the seconds each function may run (by default their `Timeout` in template.yaml)."""
        self.size = size
        self.functions_dir = functions_dir
        self.timeouts = dict(template.function_timeouts() if timeouts is None else timeouts)
        self.integration_timeout = integration_timeout
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
            self._give_back(function, module)

    def invoke(self, function: str, event: dict[str, Any], request_id: str, *, via_gateway: bool = True) -> Any:
        """Calls the function's `lambda_handler` on an instance of its own, with a Lambda-like context whose
        deadline is the function's `Timeout`; past it (or past API Gateway's 29 s), an InvocationTimeout.
        `via_gateway=False` (an event source mapping) waits for the whole `Timeout`."""
        seconds = self.timeouts[function]
        module = self._borrow(function)
        call = _Call(module.lambda_handler, event, lambda_context(function, request_id, int(seconds * 1000)))
        waited = min(seconds, self.integration_timeout) if via_gateway else seconds
        if not call.finished(within=waited):
            self._retire(function)
            raise (FunctionTimeout if seconds <= self.integration_timeout else IntegrationTimeout)(function, waited)
        self._give_back(function, module)
        return call.result()

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

    def _give_back(self, function: str, module: ModuleType) -> None:
        with self._available:
            self._idle[function].append(module)
            self._available.notify()

    def _retire(self, function: str) -> None:
        """Forgets a busy instance (it is never given back) and frees its place for a fresh one."""
        with self._available:
            self._loaded[function] -= 1
            self._available.notify()


class _Call:
    """One handler call on a daemon thread of its own, so the caller can stop waiting for it."""

    def __init__(self, handler: Callable[[dict[str, Any], Any], Any], event: dict[str, Any], context: Any) -> None:
        self._done = threading.Event()
        self._value: Any = None
        self._error: BaseException | None = None
        name = f"lambda-{context.function_name}-{context.aws_request_id}"
        threading.Thread(target=self._run, args=(handler, event, context), name=name, daemon=True).start()

    def _run(self, handler: Callable[[dict[str, Any], Any], Any], event: dict[str, Any], context: Any) -> None:
        try:
            self._value = handler(event, context)
        except BaseException as exc:  # handed to the caller, as Lambda reports a crash
            self._error = exc
        finally:
            self._done.set()

    def finished(self, *, within: float) -> bool:
        return self._done.wait(within)

    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value
