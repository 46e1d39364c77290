"""The headless commands, run through `main()` as a shell would, against the moto server."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from sentinel_tui.cli import main

POLICIES = Path(__file__).resolve().parent / "data" / "policies"
GOOD = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'


@pytest.fixture
def cli(endpoint, capsys):
    def run(*args: str) -> tuple[int, str, str]:
        code = main(["policy", *args, "--endpoint-url", endpoint] if args and args[0] != "validate"
                    else ["policy", *args])
        out, err = capsys.readouterr()
        return code, out, err
    return run


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "dev.yaml"
    path.write_bytes(GOOD)
    return path


def test_validate_exit_codes_follow_the_go_cli(cli):
    expected = json.loads((POLICIES / "expected.json").read_text())
    for name, verdict in expected.items():
        code, out, err = cli("validate", str(POLICIES / name))
        assert code == (0 if verdict["rejected_at"] is None else 1), (name, err)
        if verdict["rejected_at"]:
            prefix = "parse error: " if verdict["rejected_at"] == "parse" else "validation error: "
            assert err.startswith(f"Error: {prefix}{verdict['go_error']}\n\nSuggestion: ")


def test_validate_quiet_hides_lints_and_success_never_errors(cli):
    # As the Go CLI: -q hides the lint lines and "Policy is valid", not an error.
    code, out, err = cli("validate", str(POLICIES / "duplicate-key.yaml"), "-q")
    assert code == 1 and out == ""
    assert err.startswith("Error: parse error: yaml: yaml: unmarshal errors:")
    code, out, err = cli("validate", str(POLICIES / "dev.yaml"), "-q")
    assert code == 0 and out == "" and err == ""
    code, out, err = cli("validate", str(POLICIES / "dev.yaml"))
    assert code == 0 and err.splitlines()[0] == "Policy is valid"


@pytest.mark.parametrize("content,needle", [
    (None, "Error: file not found: "),
    ("dir", "is a directory"),
    (b"\x00\x01binary", "control characters are not allowed"),
    (b"version: \xff\xfe\n", "invalid leading UTF-8 octet"),
    (b"", "parse error: empty policy"),
])
def test_bad_input_is_one_message_never_a_traceback(cli, tmp_path, content, needle):
    path = tmp_path / "input.yaml"
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
    code, out, err = cli("validate", str(path))
    assert code == 1  # as the Go CLI: every failure, unreadable files included
    assert needle in err and "Traceback" not in err


def test_sign_writes_an_envelope_that_aws_cli_verifies(cli, ops, signing_key, good, tmp_path, endpoint):
    out_file = tmp_path / "dev.sig"
    code, out, err = cli("sign", str(good), "--key-id", signing_key, "-o", str(out_file))
    assert code == 0, err
    assert stat.S_IMODE(out_file.stat().st_mode) == 0o600
    envelope = json.loads(out_file.read_text())
    assert envelope["metadata"]["algorithm"] == "RSASSA_PSS_SHA_256"
    assert envelope["metadata"]["signed_at"].endswith("Z")
    # The AWS CLI, RAW, RSASSA_PSS_SHA_256, against the same emulator.
    sig_file = tmp_path / "sig.bin"
    import base64
    sig_file.write_bytes(base64.b64decode(envelope["signature"]))
    env = {**os.environ, "AWS_ENDPOINT_URL": endpoint}
    proc = subprocess.run(
        [sys.executable, "-m", "awscli", "kms", "verify", "--key-id", signing_key,
         "--message", f"fileb://{good}", "--message-type", "RAW",
         "--signing-algorithm", "RSASSA_PSS_SHA_256", "--signature", f"fileb://{sig_file}",
         "--output", "json"],
        capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["SignatureValid"] is True


def test_sign_refuses_to_overwrite_without_force(cli, signing_key, good, tmp_path):
    out_file = tmp_path / "dev.sig"
    out_file.write_text("keep me")
    code, out, err = cli("sign", str(good), "--key-id", signing_key, "-o", str(out_file))
    assert code == 2 and "--force" in err
    assert out_file.read_text() == "keep me"


def test_verify_reads_a_go_cli_envelope_as_valid(cli, ops, signing_key, good, tmp_path):
    """Compact JSON with a nanosecond signed_at, as `sentinel policy push --sign` writes it."""
    import base64
    import hashlib
    signature = ops.keys.sign(signing_key, GOOD)
    go_envelope = ('{"signature":"%s","metadata":{"key_id":"%s","algorithm":"RSASSA_PSS_SHA_256",'
                   '"signed_at":"2026-01-26T10:30:00.123456789Z","policy_hash":"%s"}}'
                   % (base64.b64encode(signature).decode(), signing_key, hashlib.sha256(GOOD).hexdigest()))
    sig = tmp_path / "go.sig"
    sig.write_text(go_envelope)
    code, out, err = cli("verify", str(good), "--key-id", signing_key, "-s", str(sig))
    assert code == 0 and out.startswith("Signature valid"), out + err


def test_verify_names_the_failed_check(cli, signing_key, good, tmp_path):
    out_file = tmp_path / "dev.sig"
    assert cli("sign", str(good), "--key-id", signing_key, "-o", str(out_file))[0] == 0
    good.write_bytes(GOOD + b"# edited\n")
    code, out, err = cli("verify", str(good), "--key-id", signing_key, "-s", str(out_file))
    assert code == 1
    assert "policy content does not match signature" in out and "hash" in out


def test_push_pull_roundtrip_is_byte_exact(cli, signing_key, tmp_path):
    weird = b"# comment kept\r\nversion: \"1\"\r\nrules:\r\n  - name: a\r\n    effect: allow\r\n    conditions:\r\n      profiles: [dev]   \r\n"
    src = tmp_path / "weird.yaml"
    src.write_bytes(weird)
    code, out, err = cli("push", "dev", str(src), "--sign", "--key-id", signing_key, "-f")
    assert code == 0, err
    pulled = tmp_path / "pulled.yaml"
    code, out, err = cli("pull", "dev", "-o", str(pulled), "--with-signature")
    assert code == 0, err
    assert pulled.read_bytes() == weird
    assert stat.S_IMODE(pulled.stat().st_mode) == 0o600
    code, out, err = cli("verify", "--remote", "dev")
    assert code == 0 and "Signature valid" in out


def test_diff_is_byte_exact_by_default_and_meaning_with_normalized(cli, signing_key, tmp_path, good):
    assert cli("push", "dev", str(good), "--sign", "--key-id", signing_key, "-f")[0] == 0
    assert cli("diff", "dev", str(good))[0] == 0
    spaced = tmp_path / "spaced.yaml"
    spaced.write_bytes(GOOD.replace(b"[dev]", b"[dev]  "))
    code, out, err = cli("diff", "dev", str(spaced))
    assert code == 1 and "·" in out  # the trailing spaces are made visible
    code, out, err = cli("diff", "dev", str(spaced), "--normalized")
    assert code == 0 and "new signature" in err


def test_diff_error_exits_2(cli, tmp_path):
    code, out, err = cli("diff", "dev", str(tmp_path / "missing.yaml"))
    assert code == 2


def test_status_json_lists_the_demo_fleet(ops, demo, endpoint, capsys, tmp_path):
    code = main(["policy", "status", "--json", "--endpoint-url", endpoint, "--local-dir", ops.settings.local_dir])
    out, err = capsys.readouterr()
    assert code == 0, err
    doc = json.loads(out)
    statuses = {row["name"]: row["status"] for row in doc["policies"]}
    assert statuses["production"] == "valid" and statuses["qa"] == "malformed"
    row = next(r for r in doc["policies"] if r["name"] == "production")
    assert set(row) >= {"name", "status", "tvm", "key", "signed_at", "version", "size"}


def test_unreachable_endpoint_is_a_clear_error(capsys):
    code = main(["policy", "status", "--endpoint-url", "http://127.0.0.1:9"])
    out, err = capsys.readouterr()
    assert code == 2 and "error:" in err and "Traceback" not in err


# -- issue 12, item 5: push signs by default ---------------------------------------------------------

def _ssm_pair(ops, name):
    return ops.store.get(f"/sentinel/policies/{name}"), ops.store.get(f"/sentinel/signatures/{name}")


def test_push_of_a_new_policy_signs_by_default(cli, ops, signing_key, good):
    code, out, err = cli("push", "fresh", str(good), "-f")
    assert code == 0, err
    policy, signature = _ssm_pair(ops, "fresh")
    assert policy is not None and policy.data == GOOD and signature is not None
    assert json.loads(signature.value)["metadata"]["key_id"] == signing_key
    assert ops.fleet.entry("fresh").status.value == "valid"
    assert "status valid" in out


def test_push_without_any_key_refuses_and_writes_nothing(cli, ops, good):
    code, out, err = cli("push", "fresh", str(good), "-f")
    assert code == 2
    assert "alias/sentinel-policy-signing does not exist" in err and "nothing was written" in err
    assert "keys setup" in err and "--allow-unsigned" in err
    assert _ssm_pair(ops, "fresh") == (None, None)


def test_push_allow_unsigned_is_the_way_to_push_unsigned(cli, ops, good):
    code, out, err = cli("push", "fresh", str(good), "-f", "--allow-unsigned")
    assert code == 0, err
    policy, signature = _ssm_pair(ops, "fresh")
    assert policy.data == GOOD and signature is None
    assert "NOT signed" in out


def test_push_allow_unsigned_and_sign_contradict(cli, ops, signing_key, good):
    for extra in (["--sign"], ["--key-id", signing_key]):
        code, out, err = cli("push", "fresh", str(good), "-f", "--allow-unsigned", *extra)
        assert code == 2 and "--allow-unsigned" in err
    assert _ssm_pair(ops, "fresh") == (None, None)


def test_push_key_id_alone_signs_with_that_key(cli, ops, signing_key, good):
    kms = ops.clients.client("kms")
    other = kms.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    code, out, err = cli("push", "fresh", str(good), "-f", "--key-id", other)  # no --sign needed
    assert code == 0, err
    assert json.loads(_ssm_pair(ops, "fresh")[1].value)["metadata"]["key_id"] == other


def test_sign_defaults_the_key_as_push_does(cli, signing_key, good, tmp_path):
    out_file = tmp_path / "dev.sig"
    code, out, err = cli("sign", str(good), "-o", str(out_file))
    assert code == 0, err
    assert json.loads(out_file.read_text())["metadata"]["key_id"] == signing_key
    assert f"verified with {signing_key}" in err


def test_sign_without_a_default_key_says_how_to_make_one(cli, good, tmp_path):
    out_file = tmp_path / "dev.sig"
    code, out, err = cli("sign", str(good), "-o", str(out_file))
    assert code == 2 and "alias/sentinel-policy-signing does not exist" in err and "keys setup" in err
    assert "--allow-unsigned" not in err and not out_file.exists()


def test_sign_reports_an_invalid_file_before_the_key(cli, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"version: [\n")
    code, out, err = cli("sign", str(bad))
    assert code == 1 and "does not exist" not in err


def test_status_text_is_one_line_per_policy_even_when_a_verdict_has_newlines(cli, ops, signing_key):
    from sentinel_tui.core.envelope import dump_envelope
    from sentinel_tui.ops.sign import sign_bytes

    broken = b'version: "1"\nrules:\n  - name: [a]\n    effect: [b]\n'
    ops.store.put("/sentinel/policies/broken", broken.decode())
    # signed, so the TVM gets as far as parsing it: Go's error spans lines
    ops.store.put("/sentinel/signatures/broken", dump_envelope(sign_bytes(ops, broken, signing_key), indent=False))
    ops.store.put("/sentinel/policies/zz-plain", GOOD.decode())
    code, out, err = cli("status")
    assert code == 0, err
    lines = out.rstrip("\n").split("\n")
    assert len(lines) == 3, out  # the header and one line per policy
    assert lines[1].startswith("broken ") and "unmarshal errors:\\n line 3" in lines[1]
    assert lines[2].startswith("zz-plain ")


def test_status_on_an_empty_store_says_what_to_do_first(cli):
    code, out, err = cli("status")
    assert code == 0 and out.startswith("NAME") and "No policy under /sentinel/policies" in err
    assert "keys setup" in err


def test_every_command_positional_and_flag_has_a_description():
    import argparse

    from sentinel_tui.cli import build_parser

    missing = []

    def walk(parser, prefix):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, sub in action.choices.items():
                    if not sub.description:
                        missing.append(f"{prefix} {name}: no description")
                    walk(sub, f"{prefix} {name}")
            elif not isinstance(action, argparse._HelpAction) and not (action.help or "").strip():
                missing.append(f"{prefix} {'/'.join(action.option_strings) or action.dest}")

    walk(build_parser(), "sentinel-tui")
    assert missing == []


def test_push_help_names_its_positionals(capsys):
    with pytest.raises(SystemExit):
        main(["policy", "push", "--help"])
    out = capsys.readouterr().out
    assert "NAME" in out and "the policy name under the policy root" in out
    assert "FILE" in out and "--allow-unsigned" in out and "Validate, sign, write" in out
