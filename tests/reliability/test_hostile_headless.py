"""Hostile policy content on the headless commands: shown inert, never interpreted by the terminal."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sentinel_tui.cli import main

HOSTILE = ('version: "1"\nrules:\n  - name: "\x1b[31mred\x1b[0m [bold]x[/bold] \x07bell"\n'
           '    effect: allow\n    conditions:\n      profiles: [dev]\n')


@pytest.fixture
def stored_hostile(ops):
    ops.store.put("/sentinel/policies/evil", HOSTILE)
    ops.store.put("/sentinel/policies/long", 'version: "1"\n# ' + "A" * 10_000 + "\nrules: []\n")


def run(endpoint, capsys, *args):
    code = main(["policy", *args, "--endpoint-url", endpoint])
    out, err = capsys.readouterr()
    return code, out, err


def test_status_output_has_no_raw_escape_sequences(endpoint, capsys, stored_hostile):
    code, out, err = run(endpoint, capsys, "status")
    assert "\x1b" not in out + err and "\x07" not in out + err
    assert "evil" in out and "long" in out


def test_diff_output_escapes_control_characters(endpoint, capsys, stored_hostile, tmp_path):
    local = tmp_path / "evil.yaml"
    local.write_text(HOSTILE.replace("bell", "bell2"))
    code, out, err = run(endpoint, capsys, "diff", "evil", str(local))
    assert code == 1
    assert "\x1b" not in out and "\x07" not in out
    assert "\\x1b" in out and "[bold]x[/bold]" in out  # shown literally


def test_pull_to_a_pipe_is_byte_exact(endpoint, ops, stored_hostile):
    proc = subprocess.run([sys.executable, "-m", "sentinel_tui", "policy", "pull", "evil", "--endpoint-url", endpoint],
                          capture_output=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == HOSTILE.encode()


def test_validate_error_for_hostile_name_is_inert(capsys, tmp_path):
    path = tmp_path / "x.yaml"
    path.write_text('version: "1"\nrules:\n  - name: "\x1b]0;pwned\x07"\n    effect: maybe\n    conditions:\n      profiles: [a]\n')
    code = main(["policy", "validate", str(path)])
    out, err = capsys.readouterr()
    assert code == 1 and "\x1b" not in err and "\x07" not in err
