"""`sentinel-tui plan` and `apply` as a shell (or CI) runs them: exit codes, files, what is said."""

from __future__ import annotations

import json
import stat

import pytest

from sentinel_tui.cli import main

GOOD = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'


@pytest.fixture
def run(endpoint, capsys):
    def go(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--endpoint-url", endpoint])
        out, err = capsys.readouterr()
        return code, out, err
    return go


@pytest.fixture
def repo(tmp_path, signing_key):
    d = tmp_path / "policies"
    d.mkdir()
    (d / "dev.yaml").write_bytes(GOOD)
    return d


def test_plan_then_apply_then_plan_again(run, repo, tmp_path):
    plan_file, md = tmp_path / "plan.json", tmp_path / "plan.md"
    code, out, err = run("plan", str(repo), "-o", str(plan_file), "--markdown", str(md))
    assert code == 1, err  # changes planned
    assert "create           dev" in out and "Plan: 1 to create" in out
    for f in (plan_file, md):
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    digest = json.loads(plan_file.read_text())["plan_sha256"]
    assert f"Plan hash: {digest}" in out and digest in md.read_text()
    code, out, err = run("apply", str(plan_file), "-f")
    assert code == 0, err
    assert "1 applied and verified of 1" in out
    code, out, err = run("plan", str(repo))
    assert code == 0 and "Plan: 0 to create, 0 to update" in out


def test_apply_needs_confirmation_without_a_terminal(run, repo, tmp_path):
    plan_file = tmp_path / "plan.json"
    run("plan", str(repo), "-o", str(plan_file))
    code, out, err = run("apply", str(plan_file))
    assert code == 2 and "-f" in err
    code, out, err = run("plan", str(repo))
    assert code == 1  # nothing was applied


def test_invalid_files_exit_2_naming_each(run, repo):
    (repo / "bad.yaml").write_bytes(GOOD.replace(b"allow", b"permit"))
    (repo / "dev.yml").write_bytes(GOOD)
    code, out, err = run("plan", str(repo))
    assert code == 2
    assert "bad.yaml:" in err and "dev.yaml and dev.yml" in err and "2 problems" in err
    assert "Traceback" not in err


def test_apply_refusals_exit_1(run, repo, tmp_path):
    plan_file = tmp_path / "plan.json"
    run("plan", str(repo), "-o", str(plan_file))
    raw = json.loads(plan_file.read_text())
    raw["content"]["items"][0]["file_sha256"] = "0" * 64
    edited = tmp_path / "edited.json"
    edited.write_text(json.dumps(raw))
    code, out, err = run("apply", str(edited), "-f")
    assert code == 1 and "refused:" in err and "changed after it was made" in err
    (repo / "dev.yaml").write_bytes(GOOD + b"# later\n")
    code, out, err = run("apply", str(plan_file), "-f")
    assert code == 1 and "dev.yaml: its bytes changed since the plan" in err
    code, out, err = run("apply", str(plan_file), "-f", "--read-only")
    assert code == 1 and "Read-only" in err
    code, out, err = run("plan", str(repo))
    assert "create           dev" in out  # still nothing stored


def test_apply_failure_exits_2_with_what_ssm_holds(run, repo, tmp_path, endpoint, monkeypatch):
    from sentinel_tui.aws.faults import deny
    from sentinel_tui.ops import context

    plan_file = tmp_path / "plan.json"
    run("plan", str(repo), "-o", str(plan_file))
    original = context.Ops.__dict__["from_settings"]
    real = original.__func__

    def with_fault(cls, settings, **kw):
        kw["hooks"] = [deny("ssm", "PutParameter", "not authorized to perform: ssm:PutParameter",
                            when=lambda p: p.get("Name", "").startswith("/sentinel/signatures/"))]
        return real(cls, settings, **kw)
    monkeypatch.setattr(context.Ops, "from_settings", classmethod(with_fault))
    code, out, err = run("apply", str(plan_file), "-f")
    assert code == 2
    assert "rolled back" in out and "SSM now holds" in out and "deleted" in out
    monkeypatch.setattr(context.Ops, "from_settings", original)
    code, out, err = run("plan", str(repo))
    assert code == 1 and "create           dev" in out  # the new policy was deleted again


def test_ctrl_c_stops_between_two_items(run, repo, tmp_path, monkeypatch):
    import os
    import signal

    from sentinel_tui.aws.faults import on_call
    from sentinel_tui.ops import context

    for n in ("qa", "zz"):
        (repo / f"{n}.yaml").write_bytes(GOOD.replace(b"[dev]", f"[{n}]".encode()))
    plan_file = tmp_path / "plan.json"
    run("plan", str(repo), "-o", str(plan_file))
    original = context.Ops.__dict__["from_settings"]
    signs = []

    def ctrl_c_at_first_sign(params):
        signs.append(1)
        if len(signs) == 1:
            os.kill(os.getpid(), signal.SIGINT)

    def with_interrupt(cls, settings, **kw):
        kw["hooks"] = [on_call("kms", "Sign", ctrl_c_at_first_sign)]
        return original.__func__(cls, settings, **kw)
    monkeypatch.setattr(context.Ops, "from_settings", classmethod(with_interrupt))
    code, out, err = run("apply", str(plan_file), "-f")
    monkeypatch.setattr(context.Ops, "from_settings", original)
    assert code == 1 and "Stopping after the item in progress" in err
    assert "1 applied and verified, 2 not attempted of 3 (cancelled)" in out
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    code, out, err = run("plan", str(repo))
    assert "unchanged        dev" in out and "create           qa" in out and "create           zz" in out
