"""The layer-size measurement of `make bench`: what it counts and how the report shows it against the goal."""

from __future__ import annotations

import ast

from leadgate_dev.bench import layer as bench_layer
from leadgate_dev.bench.report import layers_section
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

    size = bench_layer.measure(bench_layer.COMMON, tmp_path)

    assert size.total_bytes == 9_010
    assert size.files == 4
    assert size.packages == (("pydantic_core", 5_000), ("phonenumbers", 4_000), ("typing_extensions.py", 10))


def _size(layer: bench_layer.Layer, total_bytes: int) -> bench_layer.LayerSize:
    packages = tuple((f"pkg{index}", total_bytes // (bench_layer.TOP + 2)) for index in range(bench_layer.TOP + 2))
    return bench_layer.LayerSize(layer=layer, total_bytes=total_bytes, files=42, packages=packages)


def test_the_report_names_each_layer_its_carriers_and_total_and_folds_small_packages():
    text = "\n".join(layers_section([_size(bench_layer.COMMON, 20_000_000), _size(bench_layer.CRYPTO, 15_000_000)]))

    assert "**common** (carried by every function): **20.0 MB** in 42 files; goal <= 20.0 MB: met." in text
    assert "**crypto** (carried by the authorizer and the token function): **15.0 MB** in 42 files." in text
    assert "| pkg0 | 2.0 MB |" in text
    assert "| 2 more | 4.0 MB |" in text
    assert "Not measured" in "\n".join(layers_section([]))


def test_a_common_layer_over_its_goal_is_reported_missed():
    text = "\n".join(layers_section([_size(bench_layer.COMMON, 20_000_001)]))

    assert "goal <= 20.0 MB: **missed**" in text


def test_nothing_in_the_layer_imports_what_phonenumberslite_leaves_out():
    dropped = {"phonenumbers.geocoder", "phonenumbers.carrier", "phonenumbers.timezone"}
    for module in (ROOT / "layers" / "common" / "python" / "leadgate").rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "phonenumbers":
                assert not {f"phonenumbers.{alias.name}" for alias in node.names} & dropped, module
            elif isinstance(node, ast.Import | ast.ImportFrom):
                names = {alias.name for alias in node.names} | {getattr(node, "module", None) or ""}
                assert not any(name.startswith(tuple(dropped)) for name in names), module
    assert "phonenumberslite" in (bench_layer.COMMON.directory / "requirements.txt").read_text()
