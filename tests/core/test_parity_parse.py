"""The policy reader against upstream's own: every recorded verdict, stage and text.

tests/data/parity/parse.json holds ~1,800 inputs (upstream's own test and doc YAML,
hand-made encodings/BOMs/line breaks/directives/tags/time zones/end-of-file errors, and
random mutations of those) with what upstream Sentinel's unchanged ``policy`` package
(ParsePolicy, Validate, LintPolicy; yaml.v3 v3.0.1; Go 1.25) and ``sentinel policy
validate`` (exit code, stderr with and without ``-q``) made of each, recorded with the Go
oracle. The TVM runs ParsePolicy only, so ``stage == "parse"`` is a TVM denial.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sentinel_tui.cli import main, validate_report
from sentinel_tui.core.policy import (
    LINT_ALLOW_BEFORE_DENY,
    LINT_OVERLAPPING_TIME_WINDOWS,
    LINT_TIMEZONE_PATH,
    LINT_UNREACHABLE_RULE,
    check_policy,
    parse_policy,
    PolicyError,
)

DATA = Path(__file__).resolve().parent.parent / "data" / "parity" / "parse.json"
CASES = json.loads(DATA.read_text())["cases"]
UPSTREAM_LINTS = {LINT_ALLOW_BEFORE_DENY, LINT_UNREACHABLE_RULE, LINT_OVERLAPPING_TIME_WINDOWS}


def _go_lines(lines: list[str]) -> str:
    """Our stderr without our own additions (they all start 'sentinel-tui:')."""
    kept = [line for line in lines if not line.startswith("sentinel-tui:")]
    return "".join(line + "\n" for line in kept)


def _params() -> list:
    marks = lambda c: [pytest.mark.xfail(reason=c["known_difference"], strict=True)] if "known_difference" in c else []
    return [pytest.param(c, id=c["id"], marks=marks(c)) for c in CASES]


@pytest.mark.parametrize("case", _params())
def test_verdict_stage_and_text_match_upstream(case: dict) -> None:
    data = base64.b64decode(case["b64"])
    check = check_policy(data)
    assert check.stage == case["stage"]
    assert (check.error.detail if check.error else None) == case["error"]
    lints = [f"{w.code}: {w.message}" for w in check.warnings if w.code in UPSTREAM_LINTS]
    assert lints == case["lints"]
    # The TVM's reader is the parse stage alone.
    if case["stage"] == "parse":
        with pytest.raises(PolicyError):
            parse_policy(data)
    else:
        parse_policy(data)


@pytest.mark.parametrize("case", _params())
def test_validate_prints_what_the_go_cli_prints(case: dict) -> None:
    data = base64.b64decode(case["b64"])
    code, lines = validate_report("policy.yaml", data)
    assert code == case["cli"]["exit_code"]
    assert _go_lines(lines) == case["cli"]["stderr"]
    code, lines = validate_report("policy.yaml", data, quiet=True)
    assert code == case["cli"]["exit_code"]
    assert _go_lines(lines) == case["cli"]["stderr_quiet"]


def test_the_corpus_covers_what_the_issue_names() -> None:
    ids = {c["id"] for c in CASES}
    for needed in ("bom-twice", "bom-before-rules", "utf16le-bom", "utf16le-nobom", "nul-in-name",
                   "utf8-ff-in-name", "latin1-name", "nel-in-name", "ls-in-name", "ps-in-name", "ws-empty",
                   "ws-space", "dir-yaml13", "tag-version-seq", "tz-double-slash", "eof-braces", "eof-after-line"):
        assert needed in ids
    assert sum(c["source"].startswith("upstream:") for c in CASES) > 100


def test_nel_inside_a_name_is_a_line_break_so_the_tvm_denies() -> None:
    # The one wrong prediction found before: a NEL inside a name was read as part
    # of the name ("issues credentials") while yaml.v3 breaks the line there.
    data = "version: '1'\nrules:\n  - name: a\x85b\n    effect: allow\n    conditions:\n      profiles: [x]\n"
    check = check_policy(data.encode())
    assert check.stage == "parse"
    assert check.error.detail == "yaml: yaml: line 4: could not find expected ':'"


def test_a_zone_that_resolves_only_as_a_path_is_valid_but_warned_about() -> None:
    data = (b"version: '1'\nrules:\n  - name: a\n    effect: allow\n    conditions:\n"
            b"      time: {timezone: Europe//Berlin, days: [monday]}\n")
    check = check_policy(data)
    assert check.error is None
    assert [w.code for w in check.warnings] == [LINT_TIMEZONE_PATH]
    code, lines = validate_report("p.yaml", data)
    assert code == 0 and lines[0] == "Policy is valid"
    assert lines[1].startswith("sentinel-tui: warning: p.yaml:6: ") and lines[1].endswith("[timezone-path]")


@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "nul", "latin1"])
def test_validate_command_exits_1_with_gos_text_for_unreadable_or_unreadable_as_yaml(kind, tmp_path, capsys):
    path = tmp_path / "p.yaml"
    expected = {
        "missing": f"Error: file not found: {path}\n\nSuggestion: verify the file path is correct\n",
        "directory": f"Error: failed to read file: read {path}: is a directory\n\nSuggestion: check file permissions\n",
        "empty": "Error: parse error: empty policy\n\nSuggestion: fix the policy YAML and try again\n",
        "nul": "Error: parse error: yaml: yaml: control characters are not allowed\n\n"
               "Suggestion: fix the policy YAML and try again\n",
        "latin1": "Error: parse error: yaml: yaml: invalid trailing UTF-8 octet\n\n"
                  "Suggestion: fix the policy YAML and try again\n",
    }[kind]
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"  \n")
    elif kind == "nul":
        path.write_bytes(b"version: '1'\x00\n")
    elif kind == "latin1":
        path.write_bytes("version: '1'\nrules:\n- name: caf\xe9s\n".encode("latin-1"))
    for quiet in ([], ["-q"]):
        code = main(["policy", "validate", str(path), *quiet])
        out, err = capsys.readouterr()
        assert code == 1 and out == ""
        assert _go_lines(err.splitlines()) == expected
