"""The layer builds with `BuildMethod: makefile` for the function runtime and ships what pyproject declares."""

from __future__ import annotations

import re
import tomllib

from leadgate_dev.template import ROOT

LAYER = ROOT / "layers" / "common"
PROVIDED_BY_THE_RUNTIME = {"boto3"}


def _requirement_key(line: str) -> str:
    return re.sub(r"\s+", "", line.split("#", 1)[0]).lower()


def test_layer_is_a_makefile_build_for_the_function_runtime_and_architecture(source):
    layer = source["Resources"]["CommonLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"] == "layers/common/"
    runtime = source["Globals"]["Function"]["Runtime"]
    assert layer["Properties"]["CompatibleRuntimes"] == [runtime]
    assert layer["Properties"]["CompatibleArchitectures"] == source["Globals"]["Function"]["Architectures"]
    makefile = (LAYER / "Makefile").read_text()
    assert "build-CommonLayer:" in makefile
    assert f"--python-version {runtime.removeprefix('python')}" in makefile
    assert "--platform manylinux2014_aarch64" in makefile


def test_layer_requirements_are_the_project_runtime_dependencies():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    expected = {
        _requirement_key(dep) for dep in declared if re.split(r"[\[<>=!~ ]", dep)[0] not in PROVIDED_BY_THE_RUNTIME
    }
    lines = (LAYER / "requirements.txt").read_text().splitlines()
    shipped = {_requirement_key(line) for line in lines if _requirement_key(line)}
    assert shipped == expected
