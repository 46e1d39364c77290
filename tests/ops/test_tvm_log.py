"""`policy status --json`'s tvm_log: the line upstream's TVM logs on AWS, for every row.

tests/data/parity/tvm_log.json holds what upstream's own loader (NewVerifyingLoader with
the real aws-sdk-go-v2, recorded with the Go oracle against moto) returned for the demo
store plus a set of odd envelopes and policies, for several TVM configurations. On AWS an
invalid signature is a 400 KMSInvalidSignatureException the loader does not recognise;
the recording already answers that way. Where moto and AWS differ in a way the oracle
cannot show (a message over 4,096 bytes), ``aws_predictions`` says what AWS does and why.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from sentinel_tui.cli import main

DATA = json.loads((Path(__file__).resolve().parent.parent / "data" / "parity" / "tvm_log.json").read_text())
ROOT = "/sentinel/policies/"
KEY = "alias/sentinel-policy-signing"


def _seed_scenarios(ops) -> None:
    kms, ssm = ops.clients.client("kms"), ops.clients.client("ssm")
    for s in DATA["scenarios"]:
        path = ROOT + s["name"]
        policy = s["policy"]
        tier = "Advanced" if len(policy.encode()) > 4096 else "Standard"
        ssm.put_parameter(Name=path, Value=policy, Type="String", Tier=tier, Overwrite=True)
        sig = s["signature"]
        if sig is None:
            continue
        if "{sig}" in sig:
            raw = kms.sign(KeyId=KEY, Message=policy.encode(), MessageType="RAW",
                           SigningAlgorithm="RSASSA_PSS_SHA_256")["Signature"]
            sig = sig.replace("{sig}", base64.b64encode(raw).decode())
        ssm.put_parameter(Name="/sentinel/signatures/" + s["name"], Value=sig, Type="String", Overwrite=True)


def _status_rows(endpoint, capsys) -> dict[str, dict]:
    code = main(["policy", "status", "--json", "--endpoint-url", endpoint])
    out, _err = capsys.readouterr()
    assert code == 0
    return {row["path"]: row for row in json.loads(out)["policies"]}


def _expected(run: str, path: str) -> str | None:
    prediction = DATA["aws_predictions"].get(path)
    if prediction is not None and run in prediction:
        return prediction[run]
    return DATA["runs"][run][path]


@pytest.fixture
def store(ops, demo, endpoint):
    _seed_scenarios(ops)
    return endpoint


def test_every_row_has_the_line_the_tvm_logs_on_aws(store, capsys, monkeypatch):
    monkeypatch.setenv("SENTINEL_TUI_DEFAULT_KEY", KEY)
    rows = _status_rows(store, capsys)
    checked = 0
    for path, row in rows.items():
        if path not in DATA["runs"]["aws"]:
            continue
        # The demo's staging TVM sets SENTINEL_ENFORCE_POLICY_SIGNING=TRUE: not enforcing.
        run = "aws_not_enforcing" if row["served_by"] == ["sentinel-tvm-staging"] else "aws"
        assert row["tvm_log"] == _expected(run, path), path
        assert (row["tvm_log"] is None) == (row["verdict"] in ("issues", "unverified", "unknown")), path
        checked += 1
    assert checked >= len(DATA["scenarios"]) + 12


def test_the_invalid_signature_line_is_aws_not_motos(store, capsys, monkeypatch):
    monkeypatch.setenv("SENTINEL_TUI_DEFAULT_KEY", KEY)
    rows = _status_rows(store, capsys)
    sandbox = rows[ROOT + "sandbox"]
    assert sandbox["tvm_log"] == (
        f"signature verification error for {ROOT}sandbox: operation error KMS: Verify, https response error "
        "StatusCode: 400, RequestID: <request-id>, KMSInvalidSignatureException: ")
    assert "moto" in sandbox["tvm_log_note"] and "policy signature verification failed" in sandbox["tvm_log_note"]
    # The NEL case: the signature verifies, the TVM's YAML parse fails, so it denies.
    nel = rows[ROOT + "x-nel-in-name-signed"]
    assert nel["verdict"] == "denies" and nel["tvm_log"] == "yaml: yaml: line 4: could not find expected ':'"


def test_a_tvm_key_that_does_not_exist(store, capsys, monkeypatch):
    monkeypatch.setenv("SENTINEL_TUI_DEFAULT_KEY", "alias/nope")
    rows = _status_rows(store, capsys)
    checked, wrong = 0, []
    for path, row in rows.items():
        if path not in DATA["runs"]["unknown_key"] or row["served_by"]:
            continue  # a row a demo TVM serves is judged with that TVM's own key
        if row["tvm_log"] != _expected("unknown_key", path):
            wrong.append((path, row["tvm_log"], _expected("unknown_key", path)))
        checked += 1
    assert wrong == []
    assert checked >= len(DATA["scenarios"])


def test_a_tvm_without_a_signing_key_only_parses(store, settings):
    from sentinel_tui.cli import status_rows
    from sentinel_tui.ops.context import Ops

    ops = Ops.from_settings(settings.with_(default_key=""))
    rows = {row["path"]: row for row in status_rows(ops.fleet.load())}
    checked = 0
    for path, row in rows.items():
        if path not in DATA["runs"]["nokey"] or row["served_by"]:
            continue
        assert row["tvm_log"] == _expected("nokey", path), path
        checked += 1
    assert checked >= len(DATA["scenarios"])


def test_verify_remote_exits_0_exactly_when_the_tvm_loads_the_pair(store, settings):
    """Item 4: `policy verify --remote` agrees with the TVM (its exit code is 0 exactly when ok)."""
    from sentinel_tui.ops.context import Ops
    from sentinel_tui.ops.verify import verify_remote

    ops = Ops.from_settings(settings.with_(default_key=KEY))
    names = [s["name"] for s in DATA["scenarios"]] + [
        "production", "dev", "staging", "sandbox", "team/security", "team/data/analytics", "qa", "legacy", "bulk"]
    wrong = []
    for name in names:
        path = ROOT + name
        run = "aws_not_enforcing" if name == "staging" else "aws"
        loads = _expected(run, path) is None
        report = verify_remote(ops, name)
        if report.ok != loads:
            wrong.append((name, report.ok, [(c.name, c.ok) for c in report.checks]))
    assert wrong == []


def test_verify_remote_names_the_failed_check_and_warns_about_metadata(store, capsys, monkeypatch):
    monkeypatch.setenv("SENTINEL_TUI_DEFAULT_KEY", KEY)
    # The signature verifies but policy_hash is wrong: the TVM loads it; exit 0 with a warning.
    code = main(["policy", "verify", "--remote", "x-sig-wrong-hash", "--endpoint-url", store])
    out, err = capsys.readouterr()
    assert code == 0 and out.startswith("Signature valid")
    assert "warning: the envelope's metadata is inconsistent" in err
    # A valid signature over a policy the TVM cannot parse: exit 1, the parse check named.
    code = main(["policy", "verify", "--remote", "legacy", "--endpoint-url", store])
    out, err = capsys.readouterr()
    assert code == 1 and "(policy parse check failed)" in out.splitlines()[0]
    assert "FAIL  policy parse" in out and "cannot unmarshal !!seq into policy.TimeWindow" in out
    assert "the TVM logs: yaml: yaml: unmarshal errors:" in out
