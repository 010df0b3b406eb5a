"""The layers build with `BuildMethod: makefile` for the function runtime, ship together what pyproject declares,
and each function carries only the layers its imports need: cryptography only where tokens are handled."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib

import pytest

from leadgate_dev.bench.layer import COMMON, CRYPTO, LAYERS
from leadgate_dev.template import ROOT, function_folder

PROVIDED_BY_THE_RUNTIME = {"boto3"}
CARRY_CRYPTO = {"authorizer", "token"}
# What layers/crypto installs (PyJWT[crypto] and its dependencies), as top-level module names.
CRYPTO_MODULES = {"jwt", "cryptography", "cffi", "_cffi_backend", "pycparser"}


def _requirement_key(line: str) -> str:
    return re.sub(r"\s+", "", line.split("#", 1)[0]).lower()


def _requirements(layer) -> set[str]:
    lines = (layer.directory / "requirements.txt").read_text().splitlines()
    return {_requirement_key(line) for line in lines if _requirement_key(line)}


def _carried_layers(source, transformed) -> dict[str, list[str]]:
    """Function folder -> the logical ids of the layers the deployed function has, in order (the transform adds
    a hash to a layer's id, and appends a function's own layers to the Globals' ones)."""
    deployed = transformed["Resources"]
    layer_ids = {
        logical_id: layer.resource
        for logical_id in deployed
        for layer in LAYERS
        if re.fullmatch(rf"{layer.resource}[0-9a-f]{{10}}", logical_id)
    }
    return {
        function_folder(resource): [layer_ids[ref["Ref"]] for ref in deployed[logical_id]["Properties"]["Layers"]]
        for logical_id, resource in source["Resources"].items()
        if resource["Type"] == "AWS::Serverless::Function"
    }


@pytest.mark.parametrize("layer", LAYERS, ids=lambda layer: layer.folder)
def test_each_layer_is_a_makefile_build_for_the_function_runtime_and_architecture(source, layer):
    resource = source["Resources"][layer.resource]
    assert resource["Metadata"]["BuildMethod"] == "makefile"
    assert resource["Properties"]["ContentUri"] == f"layers/{layer.folder}/"
    runtime = source["Globals"]["Function"]["Runtime"]
    assert resource["Properties"]["CompatibleRuntimes"] == [runtime]
    assert resource["Properties"]["CompatibleArchitectures"] == source["Globals"]["Function"]["Architectures"]
    makefile = (layer.directory / "Makefile").read_text()
    assert f"build-{layer.resource}:" in makefile
    assert f"--python-version {runtime.removeprefix('python')}" in makefile
    assert "--platform manylinux2014_aarch64" in makefile


def test_the_layers_together_ship_the_project_runtime_dependencies_once():
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    expected = {
        _requirement_key(dep) for dep in declared if re.split(r"[\[<>=!~ ]", dep)[0] not in PROVIDED_BY_THE_RUNTIME
    }
    common, crypto = _requirements(COMMON), _requirements(CRYPTO)
    assert common | crypto == expected
    assert not common & crypto
    assert {re.split(r"[\[<>=!~]", requirement)[0] for requirement in crypto} == {"pyjwt"}


def test_every_function_carries_the_common_layer_and_only_the_token_handlers_the_crypto_layer(source, transformed):
    carried = _carried_layers(source, transformed)
    assert carried, "no function found in the transformed template"
    for folder, layers in carried.items():
        expected = [COMMON.resource, CRYPTO.resource] if folder in CARRY_CRYPTO else [COMMON.resource]
        assert layers == expected, folder


def test_a_function_without_the_crypto_layer_never_imports_from_it(source, transformed):
    """Each function is imported in turn in one fresh process; the first one that loads a module of the crypto
    layer is named (a module already loaded by an earlier function is not loaded again)."""
    without = sorted(
        folder for folder, layers in _carried_layers(source, transformed).items() if CRYPTO.resource not in layers
    )
    script = (
        "import importlib.util, sys\n"
        f"for folder in {without!r}:\n"
        "    spec = importlib.util.spec_from_file_location(f'{folder}_app', f'functions/{folder}/app.py')\n"
        "    spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
        f"    loaded = sorted({{name.split('.')[0] for name in sys.modules}} & {CRYPTO_MODULES!r})\n"
        "    if loaded:\n"
        "        sys.exit(f'functions/{folder} imports {loaded}')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={
            "PATH": "/usr/bin:/bin",
            "AWS_DEFAULT_REGION": "us-east-1",
            "PYTHONPATH": str(ROOT / "layers/common/python"),
        },
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
