"""The layers hold: the import-linter contracts in pyproject.toml, run by the test command.

core/ is pure, boto3 and botocore are imported only in aws/ and demo/, ops/ never imports a
front end, ui/ and cli/ do not import each other, cli/ reaches AWS only through ops/, and
nothing below the front ends imports Textual. A new import that breaks a contract turns this
test red with import-linter's report.
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
