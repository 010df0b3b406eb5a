"""The domain speaks no HTTP: only the edge modules import Powertools' event handler or `leadgate.api`."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[2] / "layers" / "common" / "python" / "leadgate"
EDGE = {"leadgate.api", "leadgate.envelopes", "leadgate.bodies", "leadgate.http_errors"}
HTTP = ("aws_lambda_powertools.event_handler", "leadgate.api")
MODULES = sorted(PACKAGE.rglob("*.py"))


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """Every module `path` imports, at any depth (TYPE_CHECKING and function-level imports included); `from a
    import b` counts as both `a` and `a.b`, since `b` may be a module."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{alias.name}" for alias in node.names}
    return names


def speaks_http(name: str) -> bool:
    return any(name == http or name.startswith(http + ".") for http in HTTP)


@pytest.mark.parametrize("path", [path for path in MODULES if module_name(path) not in EDGE], ids=module_name)
def test_no_domain_module_imports_the_http_edge(path):
    assert sorted(name for name in imported(path) if speaks_http(name)) == []


def test_the_walk_sees_the_edge_and_the_package():
    """The rule is not vacuous: the edge does import the event handler, and every module was parsed."""
    assert any(speaks_http(name) for name in imported(PACKAGE / "api.py"))
    assert {"leadgate.errors", "leadgate.leads.service", "leadgate.idempotency"} <= {module_name(p) for p in MODULES}
    assert speaks_http("leadgate.api") and not speaks_http("leadgate.apis")
