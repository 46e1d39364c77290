"""`sentinel-tui demo --serve`: a real emulator, seeded, reachable by boto3 and the CLI, and quiet."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import boto3


def test_demo_serve_prints_exports_and_serves_a_seeded_store(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sentinel_tui", "demo", "--serve"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        lines = []
        deadline = time.time() + 90
        while time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "Serving until interrupted" in line:
                break
        text = "".join(lines)
        match = re.search(r"export AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)", text)
        assert match, text
        url = match.group(1)
        assert "export AWS_ACCESS_KEY_ID=demo" in text
        session = boto3.session.Session(aws_access_key_id="demo", aws_secret_access_key="demo",
                                        region_name="us-east-1")
        ssm = session.client("ssm", endpoint_url=url)
        names = [p["Name"] for p in ssm.get_parameters_by_path(
            Path="/sentinel/policies", Recursive=True, MaxResults=10)["Parameters"]]
        assert names
        kms = session.client("kms", endpoint_url=url)
        meta = kms.describe_key(KeyId="alias/sentinel-policy-signing")["KeyMetadata"]
        assert meta["KeySpec"] == "RSA_4096" and meta["KeyUsage"] == "SIGN_VERIFY"
        lam = session.client("lambda", endpoint_url=url)
        env_vars = lam.get_function_configuration(FunctionName="sentinel-tvm-production")["Environment"]["Variables"]
        assert env_vars["SENTINEL_ENFORCE_POLICY_SIGNING"] == "true"
        assert env_vars["SENTINEL_POLICY_SIGNING_KEY"]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    # Nothing from the emulator reaches the terminal: no werkzeug request lines.
    assert "HTTP/1.1" not in out + err and "werkzeug" not in (out + err).lower()
    assert "Traceback" not in err
    assert proc.returncode == 0


# -- issue 12: `demo --empty`, and the demo's folder is removed on every exit ---------------------------

def _start_serving(args, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SENTINEL_TUI_"))}
    env["TMPDIR"] = str(tmp_path)  # the demo's folder is made here, so the test can see it go
    proc = subprocess.Popen([sys.executable, "-m", "sentinel_tui", "demo", *args, "--serve"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    deadline = time.time() + 90
    while time.time() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Serving until interrupted" in line:
            break
    return proc, "".join(lines)


def _stop(proc, sig):
    proc.send_signal(sig)
    try:
        return proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def test_demo_empty_serves_a_store_with_nothing_in_it_and_a_first_policy_to_push(tmp_path):
    proc, text = _start_serving(["--empty"], tmp_path)
    try:
        url = re.search(r"export AWS_ENDPOINT_URL=(http://127\.0\.0\.1:\d+)", text).group(1)
        local = re.search(r"export SENTINEL_TUI_LOCAL_DIR=(\S+)", text).group(1)
        assert "keys setup" in text and "policy push dev" in text
        session = boto3.session.Session(aws_access_key_id="demo", aws_secret_access_key="demo",
                                        region_name="us-east-1")
        ssm = session.client("ssm", endpoint_url=url)
        assert ssm.describe_parameters()["Parameters"] == []
        kms = session.client("kms", endpoint_url=url)
        assert kms.list_keys()["Keys"] == []
        assert not [a for a in kms.list_aliases()["Aliases"] if not a["AliasName"].startswith("alias/aws/")]
        assert session.client("lambda", endpoint_url=url).list_functions()["Functions"] == []
        first = os.path.join(local, "dev.yaml")
        assert os.listdir(local) == ["dev.yaml"]
        from sentinel_tui.core.policy import check_policy
        assert check_policy(open(first, "rb").read()).error is None
        workspace = os.path.dirname(local)
        assert os.path.isdir(workspace) and workspace.startswith(str(tmp_path))
    finally:
        out, err = _stop(proc, signal.SIGINT)
    assert proc.returncode == 0 and "Traceback" not in err
    assert not os.path.exists(workspace)
    assert not [p for p in os.listdir(tmp_path) if p.startswith("sentinel-tui-demo-")]


def test_demo_serve_removes_its_folder_on_sigterm_and_sighup(tmp_path):
    for sig in (signal.SIGTERM, signal.SIGHUP):
        proc, text = _start_serving(["--empty"], tmp_path)
        local = re.search(r"export SENTINEL_TUI_LOCAL_DIR=(\S+)", text).group(1)
        assert os.path.isdir(local)
        _stop(proc, sig)
        assert proc.returncode == -sig
        assert not [p for p in os.listdir(tmp_path) if p.startswith("sentinel-tui-demo-")], sig


def test_demo_app_exit_and_ctrl_c_remove_the_folder(tmp_path, monkeypatch):
    """`q` returns from the app, Ctrl-C while seeding raises KeyboardInterrupt: both remove the folder."""
    import tempfile

    from sentinel_tui import cli
    from sentinel_tui.cli import demo as cli_demo

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    seen = {}

    def app_quits(ops, **kw):  # what `q` does: the app returns
        seen["local"] = ops.settings.local_dir
        assert os.path.isfile(os.path.join(ops.settings.local_dir, "dev.yaml"))
        return 0

    monkeypatch.setattr(cli_demo, "open_app", app_quits)
    assert cli.main(["demo", "--empty"]) == 0
    assert seen["local"].startswith(str(tmp_path)) and not os.path.exists(seen["local"])

    def interrupted(*a, **kw):
        raise KeyboardInterrupt

    monkeypatch.setattr("sentinel_tui.demo.fleet.seed", interrupted)
    assert cli.main(["demo"]) == 130
    monkeypatch.setattr(cli_demo, "open_app", lambda ops, **kw: (_ for _ in ()).throw(KeyboardInterrupt()))
    assert cli.main(["demo", "--empty"]) == 130
    assert not [p for p in os.listdir(tmp_path) if p.startswith("sentinel-tui-demo-")]
