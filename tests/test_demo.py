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
