"""The fix commands messages name are built in one module (ops/remedies.py), and the CLI accepts them.

A renamed command or flag then changes in one place, and a message can never suggest a
command line the parser refuses. The tree is read for command texts spelled out anywhere
else (string constants only: docstrings, comments and argparse's help are where a command
is defined or described, not suggested).
"""

from __future__ import annotations

import ast
import re
import shlex
from pathlib import Path

import pytest

from sentinel_tui.cli import build_parser
from sentinel_tui.ops import remedies

PACKAGE = Path(__file__).resolve().parent.parent / "sentinel_tui"

#: a command line of this tool, as a message would suggest it
COMMAND_TEXT = re.compile(r"sentinel-tui (?:policy|keys|contexts) |sentinel-tui (?:plan|apply) [A-Z.]")

#: where such a text legitimately stands, and why
ALLOWED = {
    "ops/remedies.py": "the one module that builds them",
    "cli/parser.py": "the commands' own definitions and help",
    "config.py": "sits below ops/ (ops imports it), so it cannot import remedies",
    "demo/fleet.py": "comments inside the seeded demo policy files",
    "demo/accounts.py": "the header of the demo's generated AWS config file",
}

SUGGESTED = {
    "status": remedies.status(),
    "status --json --all-contexts": remedies.status(json=True, all_contexts=True),
    "keys setup": remedies.KEYS_SETUP_COMMAND,
    "keys setup --yes": remedies.keys_setup(yes=True),
    "contexts import": remedies.CONTEXTS_IMPORT_COMMAND,
    "resign": remedies.resign("dev", "alias/k"),
    "restore": remedies.restore("dev", 3),
    "push": remedies.push("dev", "dev.yaml", key="alias/k"),
    "push unsigned": remedies.push(sign=False),
    "push quoted": remedies.push_quoted("team a/dev", "my dir/dev.yaml", "alias/k"),
    "pull": remedies.pull(),
    "validate": remedies.validate(),
    "doctor": remedies.doctor(),
    "diff": remedies.diff(),
    "verify --remote": remedies.verify_remote(),
    "verify a file": remedies.verify_file("policy.yaml", "alias/x", "policy.sig"),
    "sign": remedies.sign(),
    "eval a file": remedies.evaluate("policy.yaml", user="alice", profile="prod", time="2026-03-02 21:00 Europe/Berlin"),
    "eval --remote": remedies.evaluate(remote="prod/api", user="U", profile="P"),
    "test": remedies.test(),
    "plan": remedies.plan(),
}


@pytest.mark.parametrize("label", sorted(SUGGESTED))
def test_every_suggested_command_is_one_the_cli_accepts(label):
    words = shlex.split(SUGGESTED[label])
    assert words[0] == remedies.PROG
    args = build_parser().parse_args(words[1:])  # argparse exits (SystemExit 2) on anything it refuses
    assert args.command in ("policy", "keys", "contexts", "plan")


def test_the_texts_messages_rely_on():
    assert remedies.validate(None) == "sentinel-tui policy validate"
    assert remedies.status(json=True, all_contexts=True) == "sentinel-tui policy status --json --all-contexts"
    assert remedies.evaluate("policy.yaml", user="alice", profile="prod", time="2026-03-02 21:00 Europe/Berlin") == (
        "sentinel-tui policy eval policy.yaml --user alice --profile prod --time '2026-03-02 21:00 Europe/Berlin'")
    assert remedies.evaluate(remote="prod/api") == "sentinel-tui policy eval --remote prod/api --user U --profile P"
    assert remedies.plan() == "sentinel-tui plan DIR -o PLAN.json"
    assert remedies.test_help() == "sentinel-tui policy test --help"
    with pytest.raises(SystemExit) as done:  # --help: the tests file format is there
        build_parser().parse_args(shlex.split(remedies.test_help())[1:])
    assert done.value.code == 0


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def command_texts(root: Path, allowed: dict[str, str]) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel in allowed:
            continue
        tree = ast.parse(path.read_bytes(), filename=str(path))
        skip = _docstrings(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip \
                    and COMMAND_TEXT.search(node.value):
                found.append(f"{rel}:{node.lineno}: {node.value.strip()[:80]}")
    return found


def test_no_command_text_is_spelled_out_beside_remedies():
    assert command_texts(PACKAGE, ALLOWED) == []


def test_the_reader_finds_a_command_spelled_out(tmp_path):
    (tmp_path / "msg.py").write_text('"""Run `sentinel-tui policy status` (a docstring: fine)."""\n'
                                     'FIX = "Run sentinel-tui keys setup first."\n'
                                     'def f(name):\n    return f"see sentinel-tui policy doctor {name}"\n')
    assert command_texts(tmp_path, {}) == ["msg.py:2: Run sentinel-tui keys setup first.",
                                           "msg.py:4: see sentinel-tui policy doctor"]
