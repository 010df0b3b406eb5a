"""The Lambda layers' sizes, unzipped: each built exactly as `sam build` builds it, by its layers/<name>/Makefile.

Lambda allows 250 MB unzipped for a function and its layers together, and a smaller layer loads faster on a
cold start. Every function carries the common layer, whose goal is COMMON.goal_bytes; the report lists each
layer's total and its largest top-level packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from leadgate_dev.harness.functions import ROOT

TOP = 8  # packages listed by name in the report


@dataclass(frozen=True)
class Layer:
    folder: str  # under layers/
    resource: str  # the template's logical id; `sam build` runs the Makefile's build-<resource>
    carried_by: str
    goal_bytes: int | None = None

    @property
    def directory(self) -> Path:
        return ROOT / "layers" / self.folder


COMMON = Layer("common", "CommonLayer", carried_by="every function", goal_bytes=20_000_000)
CRYPTO = Layer("crypto", "CryptoLayer", carried_by="the authorizer and the token function")
LAYERS = (COMMON, CRYPTO)


@dataclass(frozen=True)
class LayerSize:
    layer: Layer
    total_bytes: int
    files: int
    packages: tuple[tuple[str, int], ...]  # (top-level entry under python/, bytes), largest first


def measure(layer: Layer, python_dir: Path) -> LayerSize:
    """Sizes of the files under a built layer's `python/` (what Lambda unpacks into /opt/python)."""
    by_entry: dict[str, int] = {}
    files = 0
    for path in python_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            entry = path.relative_to(python_dir).parts[0]
            by_entry[entry] = by_entry.get(entry, 0) + path.stat().st_size
            files += 1
    packages = tuple(sorted(by_entry.items(), key=lambda item: (-item[1], item[0])))
    return LayerSize(layer=layer, total_bytes=sum(by_entry.values()), files=files, packages=packages)


def build_and_measure(layer: Layer) -> LayerSize:
    """Builds the layer into a temporary directory with its own Makefile (pip fetches the runtime's wheels)."""
    with tempfile.TemporaryDirectory(prefix=f"leadgate-{layer.folder}-layer-") as artifacts:
        subprocess.run(
            ["make", "--no-print-directory", "-C", str(layer.directory), f"build-{layer.resource}"],
            env={**os.environ, "ARTIFACTS_DIR": artifacts, "PIP": f"{sys.executable} -m pip"},
            check=True,
            capture_output=True,
            timeout=600,
        )
        return measure(layer, Path(artifacts) / "python")


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
