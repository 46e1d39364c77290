"""The layers hold: the import-linter contracts in pyproject.toml, run by the test command.

core/ is pure, boto3 and botocore are imported only in aws/ and demo/, ops/ never imports a
front end, ui/ and cli/ do not import each other, cli/ reaches AWS only through ops/, and
nothing below the front ends imports Textual. A new import that breaks a contract turns this
test red with import-linter's report.

The tree is read too, as the redesign issue's independent check reads it: no module over
1,000 lines, no import of Textual's private modules (``textual._*``), boto3 and botocore
imported (at any depth, even inside a function) only in aws/ and demo/, and no import cycle
among the modules at import time. Each reader is also run on a small bad tree, so a reader
that stopped finding anything would fail too.
"""

import ast
import functools
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "sentinel_tui"
MAX_LINES = 1000


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


# -- the tree, read as the independent check reads it -----------------------------------------

def _modules(root: Path) -> list[Path]:
    return sorted(root.rglob("*.py"))


def long_modules(root: Path, limit: int = MAX_LINES) -> dict[str, int]:
    """Modules over `limit` lines (as `wc -l` counts them)."""
    counts = {str(p.relative_to(root)): p.read_bytes().count(b"\n") for p in _modules(root)}
    return {name: n for name, n in counts.items() if n > limit}


@functools.lru_cache(maxsize=None)
def _tree(path: Path) -> ast.AST:
    return ast.parse(path.read_bytes(), filename=str(path))


def _imported(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, dotted name) of every import anywhere in a module, functions included; a
    `from X import y` gives both X and X.y (y may be a submodule); a constant passed to
    importlib.import_module or __import__ counts as well."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{a.name}") for a in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str) \
                and getattr(node.func, "attr", getattr(node.func, "id", "")) in ("import_module", "__import__"):
            found.append((node.lineno, node.args[0].value))
    return found


def forbidden_imports(root: Path, rule) -> list[str]:
    """`path:line: name` for every import `rule(relative path, dotted name)` refuses."""
    bad = []
    for path in _modules(root):
        rel = path.relative_to(root).as_posix()
        for line, name in _imported(_tree(path)):
            if rule(rel, name):
                bad.append(f"{rel}:{line}: {name}")
    return bad


def textual_internals(rel: str, name: str) -> bool:
    parts = name.split(".")
    return parts[0] == "textual" and any(part.startswith("_") for part in parts[1:])


def aws_sdk_outside_its_layers(rel: str, name: str) -> bool:
    return name.split(".")[0] in ("boto3", "botocore") and rel.split("/")[0] not in ("aws", "demo")


#: Imports every module of the package named in argv[1] once, recording which of its modules
#: each one imports while it is being imported (every executed import statement: at module
#: level, under try/if, or in a function called at import time), then prints the groups of
#: modules that import each other in a circle (strongly connected components).
CYCLES = r"""
import builtins, importlib, json, pkgutil, sys
root = sys.argv[1]
edges = {}
real = builtins.__import__

def spy(name, globals=None, locals=None, fromlist=(), level=0):
    module = real(name, globals, locals, fromlist, level)
    importer = (globals or {}).get("__name__", "")
    if importer == root or importer.startswith(root + "."):
        if level:
            package = globals.get("__package__") or importer.rpartition(".")[0]
            base = package.rsplit(".", level - 1)[0] if level > 1 else package
            full = f"{base}.{name}" if name else base
        else:
            full = name
        for target in [f"{full}.{f}" if f"{full}.{f}" in sys.modules else full for f in fromlist or ()] or [full]:
            if (target == root or target.startswith(root + ".")) and target != importer:
                edges.setdefault(importer, set()).add(target)
    return module

builtins.__import__ = spy
package = importlib.import_module(root)
names = sorted(m.name for m in pkgutil.walk_packages(package.__path__, root + ".")
               if not m.name.endswith("__main__"))
for name in names:
    importlib.import_module(name)
builtins.__import__ = real

index, low, stack, on, cycles = {}, {}, [], set(), []
def visit(v):
    index[v] = low[v] = len(index)
    stack.append(v)
    on.add(v)
    for w in sorted(edges.get(v, ())):
        if w not in index:
            visit(w)
            low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        group = []
        while True:
            w = stack.pop()
            on.discard(w)
            group.append(w)
            if w == v:
                break
        if len(group) > 1:
            cycles.append(sorted(group))
sys.setrecursionlimit(10000)
for v in sorted(edges):
    if v not in index:
        visit(v)
print(json.dumps({"modules": len(names) + 1, "edges": sum(map(len, edges.values())), "cycles": cycles}))
"""


def import_cycles(package: str, path: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(path) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    proc = subprocess.run([sys.executable, "-c", CYCLES, package], cwd=path, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_no_module_is_over_1000_lines():
    assert long_modules(PACKAGE) == {}


def test_no_module_imports_textual_internals():
    assert forbidden_imports(PACKAGE, textual_internals) == []


def test_boto3_and_botocore_are_imported_only_in_aws_and_demo():
    """The import-linter contract lists the layers; this reads every file, new ones included."""
    assert forbidden_imports(PACKAGE, aws_sdk_outside_its_layers) == []


def test_no_import_cycle_at_import_time():
    """Every module imported in a fresh interpreter; no group of modules imports each other."""
    found = import_cycles("sentinel_tui", ROOT)
    assert found["cycles"] == []
    assert found["modules"] > 100 and found["edges"] > 300  # it did import the package and see its imports


def test_the_tree_readers_find_what_they_forbid(tmp_path):
    pkg = tmp_path / "badpkg"
    (pkg / "ui").mkdir(parents=True)
    (pkg / "aws").mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "ui" / "__init__.py").write_text("")
    (pkg / "aws" / "__init__.py").write_text("import boto3\n")  # allowed here
    (pkg / "ui" / "table.py").write_text(
        "from textual._two_way_dict import TwoWayDict\nfrom textual.widgets import _data_table\n"
        "def later():\n    import botocore.session\n    return botocore\n")
    (pkg / "big.py").write_text("x = 1\n" * (MAX_LINES + 1))
    (pkg / "a.py").write_text("from . import b\n")
    (pkg / "b.py").write_text("from .a import __name__ as _a\n")
    assert long_modules(pkg) == {"big.py": MAX_LINES + 1}
    assert forbidden_imports(pkg, textual_internals) == [
        "ui/table.py:1: textual._two_way_dict", "ui/table.py:1: textual._two_way_dict.TwoWayDict",
        "ui/table.py:2: textual.widgets._data_table"]
    assert forbidden_imports(pkg, aws_sdk_outside_its_layers) == ["ui/table.py:4: botocore.session"]
    assert import_cycles("badpkg", tmp_path)["cycles"] == [["badpkg.a", "badpkg.b"]]


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
