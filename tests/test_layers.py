"""The layers hold: the import-linter contracts in pyproject.toml, run by the test command.

core/ is pure, boto3 and botocore are imported only in aws/ and demo/, ops/ never imports a
front end, ui/ and cli.py do not import each other, and nothing below the front ends imports
Textual. A new import that breaks a contract turns this test red with import-linter's report.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_are_kept(tmp_path):
    pytest.importorskip("importlinter")
    code = ("import sys; from importlinter.cli import lint_imports; "
            "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))")
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "BROKEN" not in proc.stdout and " KEPT" in proc.stdout


def test_the_contracts_name_every_layer():
    import tomllib

    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    names = " ".join(c["name"] for c in config["contracts"])
    for layer in ("core", "boto3", "operations", "front ends", "Textual"):
        assert layer in names
    assert "import-linter" in " ".join(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"])


def test_no_textual_internals_and_textual_is_not_pinned_exactly():
    """Only Textual's public modules are imported (a `textual._x` module may change in any release),
    so the dependency is a compatible range, not `==`."""
    import ast
    import tomllib

    found = []
    for folder in ("sentinel_tui", "tests", "scripts"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                    modules = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
                else:
                    continue
                for module in modules:
                    parts = module.split(".")
                    if parts[0] == "textual" and any(part.startswith("_") for part in parts[1:]):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {module}")
    assert not found, found
    dependencies = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (textual,) = [d for d in dependencies if d.replace(" ", "").startswith("textual") and
                  not d.replace(" ", "").startswith("textual-")]
    assert "==" not in textual and "<" in textual and ">=" in textual, textual
