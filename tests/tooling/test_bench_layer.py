"""The layer-size measurement of `make bench`: what it counts and how the report shows it."""

from __future__ import annotations

import ast

from leadgate_dev.bench import layer as bench_layer
from leadgate_dev.bench.report import layer_section
from leadgate_dev.template import ROOT


def _write(path, size: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


def test_measure_sums_every_file_per_top_level_entry_largest_first(tmp_path):
    _write(tmp_path / "phonenumbers" / "data" / "region_JP.py", 3_000)
    _write(tmp_path / "phonenumbers" / "__init__.py", 1_000)
    _write(tmp_path / "pydantic_core" / "_pydantic_core.so", 5_000)
    _write(tmp_path / "typing_extensions.py", 10)
    (tmp_path / "link.py").symlink_to(tmp_path / "typing_extensions.py")

    size = bench_layer.measure(tmp_path)

    assert size.total_bytes == 9_010
    assert size.files == 4
    assert size.packages == (("pydantic_core", 5_000), ("phonenumbers", 4_000), ("typing_extensions.py", 10))


def test_the_report_names_the_total_and_folds_small_packages():
    packages = tuple((f"pkg{index}", 2_000_000 - index) for index in range(bench_layer.TOP + 2))
    size = bench_layer.LayerSize(total_bytes=sum(n for _, n in packages), files=42, packages=packages)

    text = "\n".join(layer_section(size))

    assert "**20.0 MB** in 42 files" in text
    assert "| pkg0 | 2.0 MB |" in text
    assert "| 2 more | 4.0 MB |" in text
    assert "Not measured" in "\n".join(layer_section(None))


def test_nothing_in_the_layer_imports_what_phonenumberslite_leaves_out():
    dropped = {"phonenumbers.geocoder", "phonenumbers.carrier", "phonenumbers.timezone"}
    for module in (ROOT / "layers" / "common" / "python" / "leadgate").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "phonenumbers":
                assert not {f"phonenumbers.{alias.name}" for alias in node.names} & dropped, module
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = {alias.name for alias in node.names} | {getattr(node, "module", None) or ""}
                assert not any(name.startswith(tuple(dropped)) for name in names), module
    assert "phonenumberslite" in (bench_layer.LAYER_DIR / "requirements.txt").read_text()
