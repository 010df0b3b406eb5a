"""The Lambda layer's size, unzipped: built exactly as `sam build` builds it, by layers/common/Makefile.

Lambda allows 250 MB unzipped for a function and its layers together, and a smaller layer loads faster on a
cold start. The report lists the total and the largest top-level packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from leadgate_dev.harness.functions import ROOT

LAYER_DIR = ROOT / "layers" / "common"
TOP = 8  # packages listed by name in the report


@dataclass(frozen=True)
class LayerSize:
    total_bytes: int
    files: int
    packages: tuple[tuple[str, int], ...]  # (top-level entry under python/, bytes), largest first


def measure(python_dir: Path) -> LayerSize:
    """Sizes of the files under a built layer's `python/` (what Lambda unpacks into /opt/python)."""
    by_entry: dict[str, int] = {}
    files = 0
    for path in python_dir.rglob("*"):
        if path.is_file() and not path.is_symlink():
            entry = path.relative_to(python_dir).parts[0]
            by_entry[entry] = by_entry.get(entry, 0) + path.stat().st_size
            files += 1
    packages = tuple(sorted(by_entry.items(), key=lambda item: (-item[1], item[0])))
    return LayerSize(total_bytes=sum(by_entry.values()), files=files, packages=packages)


def build_and_measure() -> LayerSize:
    """Builds the layer into a temporary directory with its own Makefile (pip fetches the runtime's wheels)."""
    with tempfile.TemporaryDirectory(prefix="leadgate-layer-") as artifacts:
        subprocess.run(
            ["make", "--no-print-directory", "-C", str(LAYER_DIR), "build-CommonLayer"],
            env={**os.environ, "ARTIFACTS_DIR": artifacts, "PIP": f"{sys.executable} -m pip"},
            check=True,
            capture_output=True,
            timeout=600,
        )
        return measure(Path(artifacts) / "python")


def megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"
