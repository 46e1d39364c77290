"""Bad input and failed calls on the headless commands: one clear message, a non-zero exit, no traceback."""

from __future__ import annotations

import pytest

from sentinel_tui.cli import main
from sentinel_tui.ops.audit import AuditLog

GOOD = b'version: "1"\nrules:\n  - name: a\n    effect: allow\n    conditions:\n      profiles: [dev]\n'


@pytest.fixture
def run(endpoint, capsys):
    def go(*args: str) -> tuple[int, str, str]:
        code = main([*args, "--endpoint-url", endpoint])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err
    return go


@pytest.fixture
def good(tmp_path):
    path = tmp_path / "dev.yaml"
    path.write_bytes(GOOD)
    return path


def test_malformed_envelope_names_the_envelope_check(run, signing_key, good, tmp_path):
    sig = tmp_path / "bad.sig"
    sig.write_text('{"signature":"abc-_","metadata":{"signed_at":"2026-01-26T10:30:00"}}')
    code, out, err = run("policy", "verify", str(good), "--key-id", signing_key, "-s", str(sig))
    assert code == 1
    assert "envelope parse" in out and "FAIL" in out


def test_wrong_key_type_is_explained(run, ops, good):
    kms = ops.clients.client("kms")
    key = kms.create_key(KeyUsage="ENCRYPT_DECRYPT")["KeyMetadata"]["KeyId"]
    code, out, err = run("policy", "sign", str(good), "--key-id", key)
    assert code == 2
    assert "error:" in err and "fix:" in err
    assert "usage" in err.lower() or "SIGN_VERIFY" in err


def test_access_denied_on_sign_names_action_and_principal(endpoint, capsys, good, monkeypatch, signing_key):
    from sentinel_tui.aws import faults
    from sentinel_tui.ops import context

    original = context.Ops.from_settings.__func__

    def with_fault(cls, settings, **kw):
        ops = original(cls, settings, **kw)
        ops.clients.add_hook(faults.deny("kms", "Sign",
                                         "User: arn:aws:iam::123456789012:user/ci is not authorized to perform: kms:Sign"))
        return ops

    monkeypatch.setattr(context.Ops, "from_settings", classmethod(with_fault))
    code = main(["policy", "sign", str(good), "--key-id", signing_key, "--endpoint-url", endpoint])
    out, err = capsys.readouterr()
    assert code == 2
    assert "kms:Sign" in err and "arn:aws:iam::123456789012:user/ci" in err
    assert "Traceback" not in err


def test_expired_credentials(run, monkeypatch, good, signing_key):
    from sentinel_tui.aws import faults
    from sentinel_tui.ops import context

    original = context.Ops.from_settings.__func__

    def with_fault(cls, settings, **kw):
        ops = original(cls, settings, **kw)
        for service, op in (("kms", "Sign"), ("sts", "GetCallerIdentity")):
            ops.clients.add_hook(faults.on_call(service, op, lambda p: faults.error_response(
                "ExpiredTokenException", "The security token included in the request is expired")))
        return ops

    monkeypatch.setattr(context.Ops, "from_settings", classmethod(with_fault))
    code, out, err = run("policy", "sign", str(good), "--key-id", signing_key)
    assert code == 2 and "expired" in err.lower()


def test_unknown_region(capsys, good):
    code = main(["policy", "sign", str(good), "--key-id", "alias/x", "--region", "mars-north-7"])
    out, err = capsys.readouterr()
    assert code == 2 and "error:" in err and "Traceback" not in err
    assert "mars-north-7" in err


def test_no_such_policy_on_pull(run):
    code, out, err = run("policy", "pull", "nope")
    assert code == 2 and "no such policy" in err


def test_credentials_never_printed(endpoint, capsys, monkeypatch, good):
    secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    code = main(["policy", "sign", str(good), "--key-id", "alias/missing", "--endpoint-url", endpoint])
    out, err = capsys.readouterr()
    assert code == 2
    assert "AKIAIOSFODNN7EXAMPLE" not in out + err and secret not in out + err
    for line in AuditLog().read():
        assert secret not in str(line) and "AKIAIOSFODNN7EXAMPLE" not in str(line)


def test_sign_audits_the_caller_arn(run, good, signing_key, tmp_path):
    code, out, err = run("policy", "sign", str(good), "--key-id", signing_key, "-o", str(tmp_path / "s.sig"))
    assert code == 0, err
    line = AuditLog().read()[-1]
    assert line["action"] == "sign" and line["outcome"] == "ok"
    assert line["caller"].startswith("arn:aws:") and line["policy_hash"]
