"""Loads `functions/<name>/app.py` the way Lambda does: each function's own module, imported once."""

from __future__ import annotations

import importlib.util
import threading
from functools import cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]
FUNCTIONS_DIR = ROOT / "functions"


def load_module(function: str, module_name: str, functions_dir: Path = FUNCTIONS_DIR) -> ModuleType:
    """A fresh copy of `functions/<function>/app.py` under `module_name`, independent of every other copy."""
    path = functions_dir / function / "app.py"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"no handler at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@cache
def load_function(name: str) -> ModuleType:
    """The handler module of `functions/<name>/app.py`, registered as `leadgate_function_<name>`."""
    return load_module(name, f"leadgate_function_{name}")


_per_thread = threading.local()


def instance(name: str) -> ModuleType:
    """The handler module serving this thread: `load_function(name)` on the main thread; any other thread gets its
    own copy, as concurrent invocations each get their own Lambda instance (a resolver serves one request at a
    time)."""
    if threading.current_thread() is threading.main_thread():
        return load_function(name)
    copies = _per_thread.__dict__.setdefault("copies", {})
    if name not in copies:
        copies[name] = load_module(name, f"leadgate_function_{name}_{threading.get_ident()}")
    return copies[name]
