"""Imports go one way, developer tooling -> operator CLI -> layer, and the operator CLI runs without the checkout.

`leadgate_admin` is installed on its own (tools/admin/pyproject.toml) with the `leadgate` layer package and
nothing else of the repository, so it may import neither `leadgate_dev` nor the tests, nor read a file of the
checkout (template.yaml, functions/, events/) when it manages a deployed stack.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "common" / "python"
TOOLS = ROOT / "tools"


def imported_packages(package_dir: Path) -> dict[str, set[str]]:
    """Every module's imported top-level packages (at module level or inside functions)."""
    found: dict[str, set[str]] = {}
    for path in sorted(package_dir.rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(ROOT))] = names
    return found


@pytest.mark.parametrize(
    ("package_dir", "forbidden"),
    [
        (TOOLS / "leadgate_admin", {"leadgate_dev", "tests"}),
        (LAYER / "leadgate", {"leadgate_admin", "leadgate_dev", "tests"}),
    ],
    ids=["admin imports no dev tooling", "the layer imports no tools"],
)
def test_imports_go_one_way(package_dir, forbidden):
    wrong = {module: sorted(names & forbidden) for module, names in imported_packages(package_dir).items()}
    assert {module: names for module, names in wrong.items() if names} == {}


def test_the_admin_package_carries_the_layer_dependencies():
    """The CLI imports the layer package, so its own project must install what the layer needs."""
    checkout = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    admin = tomllib.loads((TOOLS / "admin" / "pyproject.toml").read_text())["project"]
    assert sorted(admin["dependencies"]) == sorted(checkout["dependencies"])
    assert admin["scripts"] == checkout["scripts"] == {"leadgate": "leadgate_admin.cli:main"}


# Runs in a fresh interpreter: a moto stack is provisioned with the dev tooling first; then every tooling
# module is forgotten, their imports refused, and any open of a checkout file outside the two packages (and
# the venv) fails, while the CLI creates and lists a client of the "deployed" stack.
GUARDED_RUN = """
import json, sys
from pathlib import Path

import boto3
from moto import mock_aws

root, allowed = Path(sys.argv[1]), [Path(path) for path in sys.argv[2:]]

with mock_aws():
    from leadgate_dev.local.provision import provision
    from leadgate_dev.local.usage_plans import ensure_usage_plans

    resources = provision(dynamodb=boto3.client("dynamodb"), cognito=boto3.client("cognito-idp"))
    ensure_usage_plans(boto3.client("apigateway"), "leadgate-prod")
    outputs = {
        "UserPoolId": resources.user_pool_id,
        "ClientsTable": resources.tables["CLIENTS_TABLE"],
        "ResourceServer": resources.resource_server,
    }
    boto3.client("cloudformation").create_stack(
        StackName="leadgate-prod",
        TemplateBody=json.dumps({
            "Resources": {"Handle": {"Type": "AWS::CloudFormation::WaitConditionHandle"}},
            "Outputs": {key: {"Value": value} for key, value in outputs.items()},
        }),
    )

    for name in [name for name in sys.modules if name.split(".")[0] in ("leadgate_admin", "leadgate_dev", "tests")]:
        del sys.modules[name]

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in ("leadgate_dev", "tests"):
                raise ImportError(f"leadgate_admin imported {name}")

    sys.meta_path.insert(0, Refuse())
    checkout_reads = []

    def audit(event, args):
        if event == "open" and isinstance(args[0], str | Path):
            path = Path(args[0]).resolve()
            if path.is_relative_to(root) and not any(path.is_relative_to(place) for place in allowed):
                checkout_reads.append(str(path))

    sys.addaudithook(audit)
    from leadgate_admin.cli import main

    created = main(["clients", "create", "--tenant", "acme", "--stack", "leadgate-prod"])
    listed = main(["clients", "list", "--stack", "leadgate-prod"])
    sys.stdout.flush()
    print(json.dumps({"codes": [created, listed], "checkout_reads": checkout_reads}), file=sys.stderr)
"""


def test_the_cli_manages_a_deployed_stack_without_the_developer_tooling_or_the_checkout(tmp_path):
    allowed = [TOOLS / "leadgate_admin", LAYER / "leadgate", Path(sys.prefix).resolve()]
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(GUARDED_RUN), str(ROOT), *map(str, allowed)],
        cwd=tmp_path,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{LAYER}:{TOOLS}",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "LEADGATE_LOCAL_DIR": str(tmp_path / "nowhere"),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    outcome = json.loads(result.stderr.strip().splitlines()[-1])
    assert outcome == {"codes": [0, 0], "checkout_reads": []}
    assert "acme" in result.stdout
